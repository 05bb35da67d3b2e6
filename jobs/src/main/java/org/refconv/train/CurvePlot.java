package org.refconv.train;

import java.util.List;

import org.refconv.plot.TrainingCurves;

/** A run's curves PNG from its per-epoch metrics (see {@link TrainingCurves} for the figure). */
final class CurvePlot {

    private CurvePlot() {}

    /** Metrics hold no per-step losses yet: each epoch gives its mean loss, accuracies and its last step's rate. */
    static byte[] render(String runId, List<Metrics.Row> rows) {
        List<TrainingCurves.StepPoint> steps = rows.stream()
                .map(r -> new TrainingCurves.StepPoint(r.step(), Double.NaN, r.lr()))
                .toList();
        List<TrainingCurves.EpochPoint> epochs = rows.stream()
                .map(r -> new TrainingCurves.EpochPoint(r.epoch(), r.step(), r.trainLoss(), r.top1(), r.top5()))
                .toList();
        return TrainingCurves.render("run " + runId, steps, epochs);
    }
}
