/** The interface's Russian words for the API's codes; a code without a word is shown as it is. */

export const ROLES = {admin: 'Администратор', manager: 'Менеджер'};

export const FEEDBACK_STATUSES = {
    new: 'Новый',
    in_progress: 'В работе',
    resolved: 'Решён',
    wont_fix: 'Не будет сделано',
};

/** The review moves the feedback service allows from each status. */
export const FEEDBACK_NEXT = {
    new: ['in_progress'],
    in_progress: ['resolved', 'wont_fix'],
    resolved: ['in_progress'],
    wont_fix: ['in_progress'],
};

export const FEEDBACK_CATEGORIES = {bug: 'Ошибка', idea: 'Идея', question: 'Вопрос', other: 'Другое'};

export const ACTIONS = {create: 'Создание', update: 'Изменение', delete: 'Удаление', read: 'Просмотр', other: 'Другое'};

export const RESOURCE_TYPES = {
    user: 'Пользователь',
    organization: 'Организация',
    feedback: 'Отзыв',
    quote: 'КП',
    customer: 'Клиент',
    exchange_rates: 'Курсы валют',
    activity_export: 'Выгрузка журнала',
};

export const QUOTE_STATUSES = {
    draft: 'Черновики',
    sent: 'Отправлены',
    accepted: 'Приняты',
    rejected: 'Отклонены',
    expired: 'Истекли',
};

export const EVENT_TYPES = {
    'users.registered': 'Регистрация организации',
    'users.logged_in': 'Вход',
    'users.login_failed': 'Неудачный вход',
    'users.logged_out': 'Выход',
    'users.logged_out_everywhere': 'Выход на всех устройствах',
    'users.token_family_revoked': 'Сеанс отозван',
    'users.created': 'Пользователь создан',
    'users.updated': 'Пользователь изменён',
    'users.profile_updated': 'Профиль изменён',
    'users.password_changed': 'Пароль изменён',
    'users.password_reset_issued': 'Выдан код сброса пароля',
    'users.password_reset_completed': 'Пароль сброшен',
    'users.password_reset_refused': 'Сброс пароля отклонён',
    'organizations.updated': 'Организация изменена',
    'feedback.created': 'Отзыв отправлен',
    'feedback.updated': 'Отзыв рассмотрен',
    'activity.exported': 'Журнал выгружен',
    'quote.created': 'КП создано',
    'quote.updated': 'КП изменено',
    'quote.status_changed': 'Статус КП изменён',
    'quote.deleted': 'КП удалено',
    'customer.created': 'Клиент создан',
    'customer.updated': 'Клиент изменён',
    'customer.deleted': 'Клиент удалён',
};

/** Names of the fields an activity entry's changes list. */
export const FIELDS = {
    full_name: 'ФИО',
    position: 'Должность',
    phone: 'Телефон',
    email: 'Email',
    contact_email: 'Контактный email',
    role: 'Роль',
    active: 'Активен',
    name: 'Название',
    legal_name: 'Юридическое название',
    inn: 'ИНН',
    kpp: 'КПП',
    address: 'Адрес',
    website: 'Сайт',
    status: 'Статус',
    admin_note: 'Заметка',
    category: 'Категория',
    message: 'Сообщение',
    number: 'Номер',
    currency: 'Валюта',
    total_amount: 'Сумма',
    quote_date: 'Дата КП',
    accepted_at: 'Принято',
    customer_id: 'Клиент',
    manager_id: 'Менеджер',
    version: 'Версия',
};

/** The word for `code` in `table`, else the code itself. */
export const label = (table, code) => table[code] ?? code;
