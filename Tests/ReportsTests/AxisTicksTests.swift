import Reports
import Testing

@Suite("Axis ticks are round numbers")
struct AxisTicksTests {
    @Test(arguments: [
        (0.13...0.97, ["0.2", "0.4", "0.6", "0.8"]),
        (0.0...1.0, ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
        (0.0...100.0, ["0", "20", "40", "60", "80", "100"]),
        (-3.7...2.2, ["-2", "0", "2"]),
        (-3.7...1.2, ["-3", "-2", "-1", "0", "1"]),
        (1.0...8.0, ["2", "4", "6", "8"]),
        (0.0...0.0003, ["0", "0.0001", "0.0002", "0.0003"]),
        (0.0...0.00002, ["0", "5e-06", "1e-05", "1.5e-05", "2e-05"]),
        (1990.0...2024.0, ["1990", "2000", "2010", "2020"]),
        (0.1...0.7, ["0.2", "0.4", "0.6"]),
        (0.29...0.61, ["0.3", "0.4", "0.5", "0.6"]),
    ])
    func labelsAreRound(range: ClosedRange<Double>, labels: [String]) {
        let ticks = AxisTicks(covering: range)
        #expect(ticks.labels == labels)
        #expect(ticks.values.allSatisfy { range.contains($0) })
    }

    @Test func stepIsOneTwoOrFiveTimesAPowerOfTen() {
        for upper in [0.37, 1.0, 3.3, 7.5, 12.0, 99.0, 1234.5, 8e9] {
            let step = AxisTicks(covering: 0...upper).step
            let mantissa = step / pow(10, (log10(step)).rounded(.down))
            #expect([1.0, 2.0, 5.0].contains { abs($0 - mantissa) < 1e-9 }, "step \(step) for 0...\(upper)")
            #expect(AxisTicks(covering: 0...upper).values.count <= 6)
        }
    }

    @Test func niceDomainWidensToTicks() {
        let (domain, ticks) = AxisTicks.niceDomain(for: 0.13...0.97)
        #expect(domain == 0.0...1.0)
        #expect(ticks.values.first == domain.lowerBound)
        #expect(ticks.values.last == domain.upperBound)
        let (single, singleTicks) = AxisTicks.niceDomain(for: 5...5)
        #expect(single.contains(5) && single.upperBound > single.lowerBound)
        #expect(!singleTicks.values.isEmpty)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
