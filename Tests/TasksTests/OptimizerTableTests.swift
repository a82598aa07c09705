import Foundation
import SwiftGrad
import Testing

/// The config reference's table of optimizer keys says what the optimizers declare: one row per
/// key of every registered optimizer (its learning rate first), in declaration order, with the
/// declared default, bounds and summary, and no other rows. Adding, renaming or changing a
/// hyperparameter without the table, or the table without the code, fails here.
@Suite struct OptimizerTableTests {
    /// The file holding the config reference, relative to the repository root.
    static let referenceFile = "README.md"
    /// The heading of the section the table sits in.
    static let heading = "### Common: `optimizer`"
    /// The table's header row.
    static let header = "| `name` | key | default | allowed | meaning |"

    /// One row of the table, its cells as written, without backticks; a blank `name` cell takes
    /// the name of the row above.
    struct Row: CustomStringConvertible {
        let optimizer: String
        let key: String
        let defaultValue: String
        let allowed: String
        let meaning: String

        var description: String { "\(optimizer).\(key)" }
    }

    /// The table's rows.
    private func documentedRows(sourceLocation: SourceLocation = #_sourceLocation) throws -> [Row] {
        let path = Repository.root + "/" + Self.referenceFile
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let section = try #require(lines.firstIndex { $0 == Self.heading }, "no '\(Self.heading)' in \(Self.referenceFile)", sourceLocation: sourceLocation)
        let end = lines[(section + 1)...].firstIndex { $0.hasPrefix("#") } ?? lines.endIndex
        let header = try #require(
            lines[section..<end].firstIndex { $0 == Self.header },
            "no table headed '\(Self.header)' under '\(Self.heading)' in \(Self.referenceFile)", sourceLocation: sourceLocation)
        var rows: [Row] = []
        for line in lines[(header + 2)..<end] {
            guard line.hasPrefix("|") else { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
            try #require(cells.count == 5, "row '\(line)' does not have 5 cells", sourceLocation: sourceLocation)
            let optimizer = cells[0].isEmpty ? try #require(rows.last, "the first row names no optimizer").optimizer : cells[0]
            rows.append(Row(optimizer: optimizer, key: cells[1], defaultValue: cells[2], allowed: cells[3], meaning: cells[4]))
        }
        return rows
    }

    @Test func theTableHasARowForEveryDeclaredKeyAndNoOther() throws {
        let documented = try documentedRows().map { "\($0)" }
        let declared = OptimizerCatalog.all.flatMap { type in
            ["\(type.configName).learning_rate"] + type.hyperparameters.map { "\(type.configName).\($0.key)" }
        }
        #expect(documented == declared, "missing: \(declared.filter { !documented.contains($0) }), not declared: \(documented.filter { !declared.contains($0) })")
    }

    @Test func everyRowHasTheDeclaredDefaultBoundsAndSummary() throws {
        for row in try documentedRows() {
            let type = try #require(OptimizerCatalog.optimizer(named: row.optimizer), "\(row): no optimizer '\(row.optimizer)' is registered")
            if row.key == "learning_rate" {
                #expect(Float(row.defaultValue) == type.defaultLearningRate, "\(row): default \(row.defaultValue), declared \(type.defaultLearningRate)")
                #expect(row.allowed == "> 0", "\(row)")
                continue
            }
            guard let hyperparameter = type.hyperparameters.first(where: { $0.key == row.key }) else { continue }  // reported above
            switch hyperparameter.kind {
            case .float(let value, let bounds):
                #expect(Double(row.defaultValue) == value, "\(row): default \(row.defaultValue), declared \(value)")
                #expect(row.allowed == bounds.description, "\(row): allowed '\(row.allowed)', declared '\(bounds)'")
            case .bool(let value):
                #expect(Bool(row.defaultValue) == value, "\(row): default \(row.defaultValue), declared \(value)")
                #expect(row.allowed == "true or false", "\(row)")
            }
            #expect(row.meaning == hyperparameter.summary, "\(row): meaning '\(row.meaning)', declared '\(hyperparameter.summary)'")
        }
    }
}
