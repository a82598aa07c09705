@testable import ConfigKit
import Testing

@Suite("Did-you-mean suggestions")
struct SuggestionTests {
    @Test(arguments: [
        ("kitten", "sitting", 3), ("", "abc", 3), ("abc", "abc", 0), ("beta1", "beta_1", 1), ("flaw", "lawn", 2),
        // A swap of two neighbours is one edit; a swap and more, more.
        ("trian", "train", 1), ("modle", "model", 1), ("ab", "ba", 1), ("abc", "ca", 3),
    ])
    func editDistanceCountsEditsAndNeighbourSwaps(a: String, b: String, distance: Int) {
        #expect(editDistance(Array(a), Array(b)) == distance)
        #expect(editDistance(Array(b), Array(a)) == distance)
    }

    @Test func closeKeysAreSuggested() {
        let known = ["learning_rate", "momentum", "beta_1", "epochs"]
        #expect(closestMatch(to: "momentun", among: known) == "momentum")
        #expect(closestMatch(to: "Epochs", among: known) == "epochs")
        #expect(closestMatch(to: "learningrate", among: known) == "learning_rate")
        #expect(closestMatch(to: "lr", among: known) == nil)
        #expect(closestMatch(to: "batch_size", among: known) == nil)
    }

    @Test func aTranspositionIsSuggested() {
        #expect(closestMatch(to: "trian", among: ["derivative", "minimize", "train"]) == "train")
        #expect(closestMatch(to: "modle", among: ["data", "model", "training"]) == "model")
        #expect(closestMatch(to: "lienar", among: ["mlp", "linear", "logistic"]) == "linear")
    }

    /// Names beyond 64 characters are not compared: a distance takes time in the product of the
    /// lengths, and a data file's header can hold a name of megabytes.
    @Test func longNamesAreNeitherMatchedNorSuggested() {
        let name = String(repeating: "a", count: 63)
        #expect(closestMatch(to: name + "b", among: [name + "c"]) == name + "c")
        #expect(closestMatch(to: name + "bb", among: [name + "bc"]) == nil)
        let long = String(repeating: "x", count: 20_000)
        #expect(closestMatch(to: long + "1", among: [long + "2", "x"]) == nil)
        #expect(closestMatch(to: "column", among: [long, "colum"]) == "colum")
        // Sixty-four characters of four bytes each are compared.
        let wide = String(repeating: "😀", count: 63)
        #expect(closestMatch(to: wide + "a", among: [wide + "b"]) == wide + "b")
    }
}
