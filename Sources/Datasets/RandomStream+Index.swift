import Autograd

extension RandomStream {
    /// A uniform integer in `0..<bound`, by Lemire's multiply-and-reject method.
    ///
    /// Written out here rather than taken from `Int.random(in:using:)` so that shuffles do not
    /// change if the standard library changes how it draws integers: an epoch's order must be
    /// recomputable from its seed forever (checkpoints resume from it).
    mutating func nextIndex(below bound: Int) -> Int {
        usagePrecondition(bound > 0, "nextIndex(below:): bound must be positive, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Shuffles `elements` in place by Fisher–Yates: for `i` from the last index down to 1,
    /// swap element `i` with a uniform element in `0...i`.
    mutating func shuffle(_ elements: inout [Int]) {
        var i = elements.count - 1
        while i > 0 {
            elements.swapAt(i, nextIndex(below: i + 1))
            i -= 1
        }
    }

    /// `0..<count` in the order ``shuffle(_:)`` puts it: the permutation behind epoch orders and
    /// shuffled splits.
    mutating func shuffledIndices(count: Int) -> [Int] {
        var order = Array(0..<count)
        shuffle(&order)
        return order
    }
}

/// The stream numbers the data code draws from, one range per purpose, so the same seed gives
/// independent randomness for shuffling epochs, shuffled splits and synthetic data, and none of
/// them coincides with a small stream number (0, 1, 2, … — workers, initialisers) used elsewhere.
enum DataStream {
    /// Epoch `e` shuffles with stream `epochBase + e`.
    static let epochBase: UInt64 = 0x5348_5546 << 32  // "SHUF"
    /// A shuffled train/test split.
    static let split: UInt64 = 0x5350_4C54 << 32  // "SPLT"
    /// Synthetic data: `syntheticBase + 0` features, `+ 1` teacher weights, `+ 2` uniform labels.
    static let syntheticBase: UInt64 = 0x5359_4E54 << 32  // "SYNT"
}
