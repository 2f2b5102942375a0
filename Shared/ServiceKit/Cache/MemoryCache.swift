/// The first tier: a bounded least-recently-used map with a time to live per entry, in an actor, which
/// also coordinates single-flight loading (one load per key however many callers miss at once).
actor MemoryCache<Value: Sendable> {
    private struct Node {
        var key: String
        var value: Value
        var expires: ContinuousClock.Instant
        var previous: Int?
        var next: Int?
    }

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

    private let capacity: Int
    private var index: [String: Int] = [:]
    private var nodes: [Node] = []
    private var free: [Int] = []
    private var head: Int?
    private var tail: Int?
    private var waiting: [String: [CheckedContinuation<Value, any Error>]] = [:]
    private var generations: [String: Int] = [:]

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The cached value, or the right to load it, or the value another caller loads.
    func claim(_ key: String, tag: String) async throws -> Claim {
        if let value = value(for: key) { return .hit(value) }
        if waiting[key] != nil {
            let value = try await withCheckedThrowingContinuation { continuation in
                waiting[key, default: []].append(continuation)
            }
            return .loadedByAnother(value)
        }
        waiting[key] = []
        return .load(generation: generations[tag, default: 0])
    }

    /// Caches a loaded value unless `tag` was invalidated since the load began.
    func store(_ key: String, _ value: Value, ttl: Duration, tag: String, generation: Int) {
        guard generations[tag, default: 0] == generation else { return }
        set(key, value, ttl: ttl)
    }

    /// Drops every entry of `tag` (keys `tag|…`) and makes loads already under way not keep their result.
    func invalidate(tag: String) {
        generations[tag, default: 0] += 1
        remove(prefix: "\(tag)|")
    }

    /// Ends the load of `key` started by ``claim(_:)``, handing the result to everyone waiting for it.
    func finish(_ key: String, with result: Result<Value, any Error>) {
        for continuation in waiting.removeValue(forKey: key) ?? [] {
            continuation.resume(with: result)
        }
    }

    /// The value if cached and not expired; it becomes the most recently used.
    func value(for key: String) -> Value? {
        guard let slot = index[key] else { return nil }
        guard nodes[slot].expires > .now else {
            remove(slot: slot)
            return nil
        }
        moveToFront(slot)
        return nodes[slot].value
    }

    /// Caches `value` for `ttl`, evicting the least recently used entry when full.
    func set(_ key: String, _ value: Value, ttl: Duration) {
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
    func remove(prefix: String) {
        for (key, slot) in index where key.hasPrefix(prefix) { remove(slot: slot) }
    }

    /// Drops everything.
    func removeAll() {
        for tag in generations.keys { generations[tag, default: 0] += 1 }
        index = [:]
        nodes = []
        free = []
        head = nil
        tail = nil
    }

    private func moveToFront(_ slot: Int) {
        guard head != slot else { return }
        unlink(slot)
        nodes[slot].previous = nil
        nodes[slot].next = head
        if let head { nodes[head].previous = slot }
        head = slot
        if tail == nil { tail = slot }
    }

    private func unlink(_ slot: Int) {
        let (previous, next) = (nodes[slot].previous, nodes[slot].next)
        if let previous { nodes[previous].next = next } else { head = next }
        if let next { nodes[next].previous = previous } else { tail = previous }
    }

    private func remove(slot: Int) {
        unlink(slot)
        index[nodes[slot].key] = nil
        free.append(slot)
    }
}
