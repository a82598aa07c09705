import ConfigKit
import Foundation
import JSON
import _TestSupport
import Testing
import Tasks

/// Every value of a config that the schema lists as one of a few names (a task, a model type, an
/// activation, an optimizer, a loss, a data source, ...) gets "did you mean" when misspelt.
@Suite struct DidYouMeanTests {
    /// One enum-like value of an example config, misspelt.
    struct Misspelling {
        var example: String
        var keyPath: String
        var intended: String
        var config: JSONValue
    }

    @Test func everyMisspeltNameOfEveryShippedAndExampleConfigGetsASuggestion() throws {
        let schema = try ConfigSchema.committed()
        let directory = try TemporaryDirectory(prefix: "swiftgrad-did-you-mean")
        defer { directory.remove() }
        try ConfigExamples.writeDataFiles(into: directory)
        var misspellings: [Misspelling] = []
        var covered: Set<Set<String>> = []
        for example in try ConfigExamples.shipped() + ConfigExamples.extra() {
            collect(example.config, schema: schema.root, in: schema, keyPath: "") { keyPath, intended, names, replace in
                misspellings.append(Misspelling(example: example.name, keyPath: keyPath, intended: intended, config: replace(example.config)))
                covered.insert(Set(names))
            }
        }
        // Every list of names in the schema is misspelt somewhere.
        let lists = Self.nameLists(in: .object(schema.root))
        #expect(lists.subtracting(covered).isEmpty, "no example names a value of \(lists.subtracting(covered).map { $0.sorted() })")
        let keyPaths = Set(misspellings.map { $0.keyPath.replacingOccurrences(of: #"\[\d+\]"#, with: "[]", options: .regularExpression) })
        // The names the issue lists, at least: task, model type, activation, optimizer, loss, data source.
        for expected in ["task", "model.type", "model.activation", "optimizer.name", "loss", "model.loss", "data.source"] {
            #expect(keyPaths.contains(expected), "no example misspells \(expected)")
        }
        for (index, misspelling) in misspellings.enumerated() {
            let path = try directory.write("misspelt\(index).json", try misspelling.config.encoded())
            do {
                _ = try TaskLoader.load(path: path, options: RunOptions(verbosity: .quiet))
                Issue.record("\(misspelling.example): a misspelt \(misspelling.keyPath) was accepted")
            } catch {
                let message = "\(error)"
                #expect(message.contains("key path '\(misspelling.keyPath)'") && message.contains("did you mean \"\(misspelling.intended)\"?"),
                        "\(misspelling.example), \(misspelling.keyPath): \(message)")
            }
        }
    }

    /// Calls `found` for every string value of `value` whose schema is an `enum` of several
    /// names or the `const` of a variant picked by that key, with a function that makes the root
    /// config with that value misspelt.
    private func collect(
        _ value: JSONValue, schema: JSONObject, in whole: ConfigSchema, keyPath: String,
        found: (String, String, [String], (JSONValue) -> JSONValue) -> Void
    ) {
        let target = whole.dereferenced(schema)
        if let object = value.objectValue, target["type"]?.stringValue == "object" {
            let shape = whole.shape(of: target, for: object)
            for member in object.members {
                guard let property = shape.properties[member.key]?.objectValue else { continue }
                let path = keyPath.isEmpty ? member.key : keyPath + "." + member.key
                let key = member.key
                if let text = member.value.stringValue {
                    let names: [String]
                    if let discriminator = shape.discriminator, discriminator.key == key {
                        names = discriminator.values
                    } else {
                        names = whole.dereferenced(property)["enum"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    }
                    guard names.count > 1, names.contains(text), let wrong = Self.misspelling(of: text, avoiding: names) else { continue }
                    found(path, text, names) { root in
                        Self.replace(root, at: Self.steps(path), with: .string(wrong))
                    }
                } else {
                    collect(member.value, schema: property, in: whole, keyPath: path, found: found)
                }
            }
        } else if let elements = value.arrayValue, let items = target["items"]?.objectValue {
            for (index, element) in elements.enumerated() {
                collect(element, schema: items, in: whole, keyPath: "\(keyPath)[\(index)]", found: found)
            }
        }
    }

    /// Every `enum` of several strings anywhere in `schema`.
    static func nameLists(in schema: JSONValue) -> Set<Set<String>> {
        var lists: Set<Set<String>> = []
        if let object = schema.objectValue {
            if let names = object["enum"]?.arrayValue?.compactMap(\.stringValue), names.count > 1 { lists.insert(Set(names)) }
            // A `not` lists names a value may not be (the functions a variable may not be named
            // after), not names to choose from.
            for member in object.members where member.key != "not" { lists.formUnion(nameLists(in: member.value)) }
        } else if let elements = schema.arrayValue {
            for element in elements { lists.formUnion(nameLists(in: element)) }
        }
        return lists
    }

    /// `text` with two neighbouring letters swapped (or, where that gives another name, one
    /// letter dropped): the slip a person makes.
    static func misspelling(of text: String, avoiding names: [String]) -> String? {
        var characters = Array(text)
        guard characters.count >= 3 else { return nil }
        for index in 1..<(characters.count - 1) where characters[index] != characters[index + 1] {
            characters.swapAt(index, index + 1)
            let swapped = String(characters)
            if !names.contains(swapped) { return swapped }
            characters.swapAt(index, index + 1)
        }
        let dropped = String(characters.dropLast())
        return names.contains(dropped) ? nil : dropped
    }

    /// A key path (`model.layers[2].activation`) as its steps.
    static func steps(_ keyPath: String) -> [Either] {
        var steps: [Either] = []
        for part in keyPath.split(separator: ".") {
            var name = Substring(part)
            var indices: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]") {
                indices.insert(Int(name[name.index(after: open)..<name.index(before: name.endIndex)])!, at: 0)
                name = name[..<open]
            }
            steps.append(.key(String(name)))
            steps += indices.map { .index($0) }
        }
        return steps
    }

    enum Either { case key(String), index(Int) }

    /// `root` with the value at `steps` replaced.
    static func replace(_ root: JSONValue, at steps: [Either], with value: JSONValue) -> JSONValue {
        guard let first = steps.first else { return value }
        let rest = Array(steps.dropFirst())
        switch first {
        case .key(let key):
            guard var object = root.objectValue, let child = object[key] else { return root }
            object[key] = replace(child, at: rest, with: value)
            return .object(object)
        case .index(let index):
            guard var array = root.arrayValue, array.indices.contains(index) else { return root }
            array[index] = replace(array[index], at: rest, with: value)
            return .array(array)
        }
    }
}
