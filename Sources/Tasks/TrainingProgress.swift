import Foundation
import Storage
import Training

/// How a training run shows its progress on standard output.
package enum ProgressStyle: Sendable {
    /// A terminal, `columns` wide: one line per epoch redrawn in place (`\r`, then the line,
    /// then clear-to-end), at most every tenth of a second, like Keras's progress bar; text is
    /// passed to `write` as is, without a newline.
    case redrawn(columns: Int, write: @Sendable (String) -> Void)
    /// A file or a pipe: a plain line every `everySeconds` seconds (0: after every step) and at
    /// each epoch's end, with no control characters.
    case lines(everySeconds: Double)
}

/// Draws a training run's progress from its step events and prints its other lines, so the two
/// never garble each other: a line printed while a redrawn line shows first clears it.
///
/// The redrawn line reads like Keras's:
/// `epoch 3/20 [==========>...................] step 9/23 - loss 0.1234 - accuracy 0.9531 - 12345 samples/s - ETA 0.2s`,
/// with the epoch's running mean loss and accuracy (over its steps so far), its throughput and
/// the time its remaining steps will take at that pace. At the epoch's end the trainer's
/// evaluation line (train and test figures) replaces it; an epoch without an evaluation leaves
/// the same figures as a finished line instead.
final class TrainingProgress {
    private let style: ProgressStyle
    private let verbosity: Verbosity
    private let epochs: Int
    private let batchesPerEpoch: Int
    private let log: (String) -> Void
    /// Whether a redrawn line is on screen, to be cleared before the next line.
    private var showing = false
    private var lastShown: ContinuousClock.Instant?
    /// The epoch in progress (counted from 1) and its running figures.
    private var epoch = 0
    private var steps = 0, examples = 0, seconds = 0.0
    private var lossSum = 0.0
    private var correct = 0.0, counted = 0

    /// Redraws at most this often.
    static let redrawInterval: Duration = .milliseconds(100)

    init(style: ProgressStyle, verbosity: Verbosity, epochs: Int, batchesPerEpoch: Int, log: @escaping (String) -> Void) {
        self.style = style
        self.verbosity = verbosity
        self.epochs = epochs
        self.batchesPerEpoch = Swift.max(1, batchesPerEpoch)
        self.log = log
    }

    /// Prints a finished line, clearing a redrawn line first.
    func line(_ text: String) {
        finish()
        log(text)
    }

    /// Clears a redrawn line left on screen (a run stopped in the middle of an epoch), so the
    /// lines after the run start at the left.
    func finish() {
        if showing, case .redrawn(_, let write) = style {
            write("\r\u{1B}[K")
            showing = false
        }
    }

    /// Takes a step's figures; draws or prints when it is time to.
    func step(_ event: Trainer.StepEvent) {
        guard verbosity != .quiet else { return }
        let trainer = event.trainer
        let epochOfStep = event.endsEpoch ? trainer.epoch : trainer.epoch + 1
        if epochOfStep != epoch {
            (epoch, steps, examples, seconds, lossSum, correct, counted) = (epochOfStep, 0, 0, 0, 0, 0, 0)
            lastShown = nil
        }
        steps += 1
        examples += event.examples
        seconds += event.seconds
        lossSum += Double(event.loss)
        if let accuracy = event.accuracy {
            correct += Double(accuracy) * Double(event.examples)
            counted += event.examples
        }
        let batch = event.endsEpoch ? batchesPerEpoch : trainer.batchInEpoch
        if verbosity == .verbose {
            var text = "step \(trainer.globalStep) (epoch \(epoch), \(batch)/\(batchesPerEpoch)): loss \(format(event.loss))"
            if let accuracy = event.accuracy { text += ", accuracy \(format(accuracy))" }
            text += ", learning rate \(event.learningRate)"
            if let norm = event.gradientNorm { text += ", gradient norm \(format(norm))" }
            text += ", \(Int(event.samplesPerSecond.rounded())) samples/s"
            line(text)
        }
        if event.endsEpoch {
            // The trainer prints the evaluation's line after this; an epoch without one gets its own.
            if event.evaluation == nil && verbosity == .normal { line(summary(batch: batch, finished: true)) }
            return
        }
        guard verbosity == .normal else { return }
        let now = ContinuousClock.now
        switch style {
        case .redrawn(let columns, let write):
            if let lastShown, now - lastShown < Self.redrawInterval { return }
            write("\r\u{1B}[K" + redrawnLine(batch: batch, columns: columns))
            showing = true
        case .lines(let interval):
            if let lastShown, (now - lastShown) / .seconds(1) < interval { return }
            if lastShown == nil && interval > 0 {
                // The first step of an epoch only starts the clock.
                self.lastShown = now
                return
            }
            log(summary(batch: batch, finished: false))
        }
        lastShown = now
    }

    /// `epoch 3/20 [====>...] step 9/23 - loss … - accuracy … - … samples/s - ETA …`; a finished
    /// line has no bar and ends with the epoch's time instead of the ETA. `short` labels fit a
    /// narrow terminal: `epoch 3/20 [====>...] 9/23 - loss … - acc … - …/s - ETA …`.
    private func summary(batch: Int, finished: Bool, barWidth: Int = 0, throughput: Bool = true, short: Bool = false) -> String {
        var text = "epoch \(epoch)/\(epochs)"
        if barWidth > 0 {
            let done = batch * barWidth / batchesPerEpoch
            text += " [" + String(repeating: "=", count: done) + (done < barWidth ? ">" + String(repeating: ".", count: barWidth - done - 1) : "") + "]"
        }
        if !finished { text += (short ? " " : " step ") + "\(batch)/\(batchesPerEpoch)" }
        text += " - loss \(format(Float(lossSum / Double(Swift.max(steps, 1)))))"
        if counted > 0 { text += (short ? " - acc " : " - accuracy ") + format(Float(correct / Double(counted))) }
        if throughput { text += " - \(Int((seconds > 0 ? Double(examples) / seconds : 0).rounded()))" + (short ? "/s" : " samples/s") }
        if finished {
            text += " - " + duration(seconds)
        } else {
            text += " - ETA " + duration(seconds / Double(Swift.max(batch, 1)) * Double(batchesPerEpoch - batch))
        }
        return text
    }

    /// The redrawn line, within one terminal row: a longer line would wrap, and `\r` would
    /// return only to the start of its last row. The bar is 30 wide when it fits and narrower
    /// on a narrow terminal; where fewer than 10 would fit, the labels shorten (an 80-column
    /// terminal then keeps the bar and the throughput for most runs), then the throughput goes,
    /// then the bar, then the end.
    private func redrawnLine(batch: Int, columns: Int) -> String {
        for (throughput, short) in [(true, false), (true, true), (false, true)] {
            let room = columns - 1 - summary(batch: batch, finished: false, throughput: throughput, short: short).count - 3
            if room >= 10 {
                return summary(batch: batch, finished: false, barWidth: Swift.min(30, room), throughput: throughput, short: short)
            }
        }
        let text = summary(batch: batch, finished: false, throughput: false, short: true)
        return text.count < columns ? text : String(text.prefix(Swift.max(columns - 1, 1)))
    }

    private func duration(_ seconds: Double) -> String {
        if seconds < 1 { return String(format: "%.0fms", seconds * 1000) }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        return whole < 3600 ? "\(whole / 60)m\(String(format: "%02d", whole % 60))s" : "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
    }

    private func format(_ value: Float) -> String { formatted(value, "%.4f") }
}
