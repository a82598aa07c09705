/// A JSON object: its members in order, with lookup by key.
///
/// The order is the order written (for a parsed object) or added (for one built in code), and it
/// is the order ``JSONValue/encoded(_:nonFinite:)`` writes. Setting an existing key replaces its
/// value in place; setting `nil` removes it.
///
/// ```swift
/// var object: JSONObject = ["b": 1, "a": 2]
/// object["c"] = "three"
/// object["b"] = nil
/// object.keys        // ["a", "c"]
/// object["a"]?.intValue  // 2
/// ```
public struct JSONObject: Sendable, Equatable {
    /// One `"key": value` pair.
    public struct Member: Sendable, Equatable {
        /// The key, unescaped.
        public var key: String
        /// Where the key's opening quote is in the parsed text; `nil` for a member built in code.
        public var keyPosition: SourcePosition?
        /// The value.
        public var value: JSONValue

        /// Creates a member.
        ///
        /// - Parameters:
        ///   - key: the key.
        ///   - keyPosition: where the key's opening quote is; `nil` for a member built in code.
        ///   - value: the value.
        public init(key: String, keyPosition: SourcePosition? = nil, value: JSONValue) {
            self.key = key
            self.keyPosition = keyPosition
            self.value = value
        }

        /// Whether the key and value are the same; positions do not count.
        public static func == (lhs: Member, rhs: Member) -> Bool {
            lhs.key == rhs.key && lhs.value == rhs.value
        }
    }

    /// The members in order. Keys are unique unless ``init(members:)`` was given repeats: the
    /// parser rejects duplicates, and the subscript replaces in place.
    public private(set) var members: [Member]
    private var indexByKey: [String: Int]

    /// Creates an empty object.
    public init() {
        self.members = []
        self.indexByKey = [:]
    }

    /// Creates an object; when a key repeats, lookup finds its last member.
    ///
    /// - Parameter members: the members in order.
    public init(members: [Member]) {
        self.members = members
        var index: [String: Int] = [:]
        index.reserveCapacity(members.count)
        for (offset, member) in members.enumerated() { index[member.key] = offset }
        self.indexByKey = index
    }

    /// Creates an object from members and their index, which the parser has built already.
    package init(members: [Member], indexByKey: [String: Int]) {
        self.members = members
        self.indexByKey = indexByKey
    }

    /// The member with this key, or `nil`.
    ///
    /// - Parameter key: the key to look up.
    /// - Returns: the member, with its key's position.
    public func member(_ key: String) -> Member? {
        indexByKey[key].map { members[$0] }
    }

    /// The value for `key`; assigning appends a new key, replaces an existing one's value in
    /// place, or removes the key when `nil`.
    ///
    /// Complexity: O(1) to read, append or replace; O(*n*) to remove.
    public subscript(key: String) -> JSONValue? {
        get { member(key)?.value }
        set {
            switch (indexByKey[key], newValue) {
            case (let index?, let value?):
                members[index].value = value
            case (let index?, nil):
                members.remove(at: index)
                indexByKey[key] = nil
                for offset in index..<members.count { indexByKey[members[offset].key] = offset }
            case (nil, let value?):
                indexByKey[key] = members.count
                members.append(Member(key: key, value: value))
            case (nil, nil):
                break
            }
        }
    }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// Whether both objects have the same members in the same order; positions do not count.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members == rhs.members
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Keeps the written order; a repeated key keeps its first place and its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }
}
