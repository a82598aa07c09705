import Storage
import Testing

/// Numbers in messages and progress lines: a NaN reads `nan` whatever its sign bit, where C's
/// `printf` writes `-nan` for the NaN that 0/0 and ∞ − ∞ give on x86.
@Suite struct NumberTextTests {
    @Test func aNaNIsNanWhateverItsSign() {
        let negative = -Double.nan
        #expect(negative.sign == .minus)
        #expect(String(format: "%.4f", negative).hasPrefix("-"))
        #expect(formatted(negative, "%.4f") == "nan")
        #expect(formatted(Double.nan, "%.6g") == "nan")
        #expect(formatted(-Float.nan, "%.4f") == "nan")
    }

    @Test func otherValuesAreWrittenByTheFormat() {
        #expect(formatted(0.5, "%.4f") == "0.5000")
        #expect(formatted(Float(1.25), "%.6g") == "1.25")
        #expect(formatted(-Double.infinity, "%.4f") == "-inf")
        #expect(formatted(Double.infinity, "%.6g") == "inf")
        #expect(formatted(-0.0, "%.1f") == "-0.0")
    }
}
