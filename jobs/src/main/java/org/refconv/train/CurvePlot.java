package org.refconv.train;

import java.util.List;

import org.refconv.plot.TrainingCurves;

/** A run's curves PNG from its metrics (see {@link TrainingCurves} for the figure). */
final class CurvePlot {

    private CurvePlot() {}

    /** {@code steps}: the per-step training loss points; {@code rows}: each epoch's mean loss and accuracies. */
    static byte[] render(String title, List<Metrics.Row> rows, List<TrainingCurves.StepPoint> steps) {
        List<TrainingCurves.EpochPoint> epochs = rows.stream()
                .map(r -> new TrainingCurves.EpochPoint(r.epoch(), r.step(), r.trainLoss(), r.top1(), r.top5()))
                .toList();
        return TrainingCurves.render(title, steps, epochs);
    }
}
