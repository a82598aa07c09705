// op-overhead: what one small op costs: allocation, dispatch and tape recording of scalar ops.
//
//   swift run -c release op-overhead [--count 1000000]
//
// Prints nanoseconds per scalar add without a tape, with a recording tape that watches the
// operand, and per step of the lecture's quadratic (y = 3x³ + x² and its derivative on a fresh
// tape). Each figure is the best and the median of 7 runs.

import Foundation
import SwiftGrad

let count = CommandLine.arguments.firstIndex(of: "--count")
    .flatMap { Int(CommandLine.arguments[$0 + 1]) } ?? 1_000_000

/// Best and median nanoseconds per iteration of `body` run `iterations` times, over 7 runs.
func measure(_ iterations: Int, _ body: (Int) -> Void) -> (best: Double, median: Double) {
    let clock = ContinuousClock()
    var runs: [Double] = []
    for _ in 0..<7 {
        let elapsed = clock.measure { body(iterations) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        runs.append(seconds * 1e9 / Double(iterations))
    }
    runs.sort()
    return (runs[0], runs[3])
}

func report(_ label: String, _ result: (best: Double, median: Double)) {
    print("| \(label) | \(String(format: "%.0f", result.best)) | \(String(format: "%.0f", result.median)) |")
}

var sink: Float = 0
print("op-overhead: \(count) iterations per run, 7 runs; ns per op (best, median)\n")
print("| case | best ns | median ns |")
print("| --- | ---: | ---: |")

report("scalar add, no tape", measure(count) { n in
    var x = Tensor(1)
    let one = Tensor(1e-7)
    for _ in 0..<n { x = x + one }
    sink += x.scalar
})

report("scalar add, recording tape (watched operand)", measure(count) { n in
    // One tape per 1000 ops, so the record stays small as in a real step.
    let chunk = 1000
    var done = 0
    while done < n {
        let tape = GradientTape()
        var x = Tensor(1)
        tape.watch(x)
        let one = Tensor(1e-7)
        tape.record { for _ in 0..<Swift.min(chunk, n - done) { x = x + one } }
        done += chunk
    }
    sink += 1
})

report("scalar add, recording tape, nothing watched", measure(count) { n in
    let tape = GradientTape()
    var x = Tensor(1)
    let one = Tensor(1e-7)
    tape.record { for _ in 0..<n { x = x + one } }
    sink += x.scalar
})

let steps = count / 20
report("lecture step: tape, 3x³ + x², dy/dx (per step)", measure(steps) { n in
    let x = Variable(10)
    for _ in 0..<n {
        let tape = GradientTape()
        let y = tape.record { 3 * x.value.pow(3) + x.value.pow(2) }
        sink += tape.gradient(of: y, withRespectTo: x)!.scalar
    }
})
print("\n(checksum \(sink))")
