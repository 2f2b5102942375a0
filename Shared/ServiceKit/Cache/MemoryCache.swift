import Synchronization

/// The first tier: a bounded least-recently-used map with a time to live per entry, which also coordinates
/// single-flight loading (one load per key however many callers miss at once).
///
/// Its state sits behind a lock rather than in an actor: a hit is on every cached request's path, and under
/// many concurrent requests an actor's queue costs each of them a suspension; the lock is held only for
/// dictionary and list updates, never across an `await`.
final class MemoryCache<Value: Sendable>: Sendable {
    /// What a caller is to do about a key.
    enum Claim {
        /// The value was cached.
        case hit(Value)
        /// Another caller loaded it meanwhile.
        case loadedByAnother(Value)
        /// Nobody is loading it: this caller must, then call ``finish(_:with:)``. The generation of the key's
        /// tag is noted so that a value loaded across an invalidation is not kept.
        case load(generation: Int)
    }

    private let state: Mutex<LRUStorage<Value>>

    init(capacity: Int) {
        self.state = Mutex(LRUStorage(capacity: capacity))
    }

    /// The cached value, or the right to load it, or the value another caller loads.
    func claim(_ key: String, tag: String) async throws -> Claim {
        if let value = state.withLock({ $0.value(for: key) }) { return .hit(value) }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Claim, any Error>) in
            let immediate = state.withLock { state -> Claim? in
                if let value = state.value(for: key) { return .hit(value) }
                if state.waiting[key] != nil {
                    state.waiting[key, default: []].append(continuation)
                    return nil
                }
                state.waiting[key] = []
                return .load(generation: state.generations[tag, default: 0])
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Caches a loaded value unless `tag` was invalidated since the load began.
    func store(_ key: String, _ value: Value, ttl: Duration, tag: String, generation: Int) {
        state.withLock { state in
            guard state.generations[tag, default: 0] == generation else { return }
            state.set(key, value, ttl: ttl)
        }
    }

    /// Drops every entry of `tag` (keys `tag|…`) and makes loads already under way not keep their result.
    func invalidate(tag: String) {
        state.withLock { state in
            state.generations[tag, default: 0] += 1
            state.remove(prefix: "\(tag)|")
        }
    }

    /// Ends the load of `key` started by ``claim(_:tag:)``, handing the result to everyone waiting for it.
    func finish(_ key: String, with result: Result<Value, any Error>) {
        let waiting = state.withLock { $0.waiting.removeValue(forKey: key) } ?? []
        for continuation in waiting {
            continuation.resume(with: result.map { Claim.loadedByAnother($0) })
        }
    }

    /// The value if cached and not expired.
    func value(for key: String) -> Value? {
        state.withLock { $0.value(for: key) }
    }

    /// Caches `value` for `ttl`.
    func set(_ key: String, _ value: Value, ttl: Duration) {
        state.withLock { $0.set(key, value, ttl: ttl) }
    }

    /// Drops everything, and makes loads under way not keep their result.
    func removeAll() {
        state.withLock { $0.removeAll() }
    }
}

/// The map behind ``MemoryCache``: a least-recently-used list over slots, with the loads under way and each
/// tag's generation.
struct LRUStorage<Value: Sendable> {
    private struct Node {
        var key: String
        var value: Value
        var expires: ContinuousClock.Instant
        var previous: Int?
        var next: Int?
    }

    private let capacity: Int
    private var index: [String: Int] = [:]
    private var nodes: [Node] = []
    private var free: [Int] = []
    private var head: Int?
    private var tail: Int?
    /// The callers waiting for each key's load under way (an empty list: a load with nobody waiting yet).
    var waiting: [String: [CheckedContinuation<MemoryCache<Value>.Claim, any Error>]] = [:]
    var generations: [String: Int] = [:]

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The value if cached and not expired; it becomes the most recently used.
    mutating func value(for key: String) -> Value? {
        guard let slot = index[key] else { return nil }
        guard nodes[slot].expires > .now else {
            remove(slot: slot)
            return nil
        }
        moveToFront(slot)
        return nodes[slot].value
    }

    /// Caches `value` for `ttl`, evicting the least recently used entry when full.
    mutating func set(_ key: String, _ value: Value, ttl: Duration) {
        let expires = ContinuousClock.now + ttl
        if let slot = index[key] {
            nodes[slot].value = value
            nodes[slot].expires = expires
            moveToFront(slot)
            return
        }
        if index.count >= capacity, let last = tail { remove(slot: last) }
        let node = Node(key: key, value: value, expires: expires, previous: nil, next: head)
        let slot: Int
        if let reused = free.popLast() {
            nodes[reused] = node
            slot = reused
        } else {
            nodes.append(node)
            slot = nodes.count - 1
        }
        if let head { nodes[head].previous = slot }
        head = slot
        if tail == nil { tail = slot }
        index[key] = slot
    }

    /// Drops every entry whose key starts with `prefix`.
    mutating func remove(prefix: String) {
        for (key, slot) in index where key.hasPrefix(prefix) { remove(slot: slot) }
    }

    /// Drops everything.
    mutating func removeAll() {
        for tag in generations.keys { generations[tag, default: 0] += 1 }
        index = [:]
        nodes = []
        free = []
        head = nil
        tail = nil
    }

    private mutating func moveToFront(_ slot: Int) {
        guard head != slot else { return }
        unlink(slot)
        nodes[slot].previous = nil
        nodes[slot].next = head
        if let head { nodes[head].previous = slot }
        head = slot
        if tail == nil { tail = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let (previous, next) = (nodes[slot].previous, nodes[slot].next)
        if let previous { nodes[previous].next = next } else { head = next }
        if let next { nodes[next].previous = previous } else { tail = previous }
    }

    private mutating func remove(slot: Int) {
        unlink(slot)
        index[nodes[slot].key] = nil
        free.append(slot)
    }
}
