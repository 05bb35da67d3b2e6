package org.refconv.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refconv.plot.TrainingCurves;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The per-step loss points of a run: bucketed, and continued after a resume without the retrained steps. */
class MetricsTest {

    @TempDir
    Path dir;

    @Test
    void aResumedRunDropsThePointsAfterItsCheckpointAndBucketsTheRest() throws Exception {
        Files.writeString(dir.resolve("steps.csv"), "step,loss,lr\n2,1.5,0.1\n4,1.25,0.1\n6,1.0,0.1\n");
        RunFiles files = new RunFiles(dir.toString(), new Configuration());
        // 4,000 steps in all: a point every 2 steps (at most 2,000 points).
        Metrics m = Metrics.open(files, 4000, "t");
        m.step(5, 3.0, 0.05); // resumed from step 4: the point of step 6 goes
        m.step(6, 1.0, 0.04);
        m.step(7, 9.0, 0.03);
        m.writeSteps();
        List<TrainingCurves.StepPoint> points = Metrics.parseSteps(files.readStepLosses());
        assertEquals(
                List.of(
                        new TrainingCurves.StepPoint(2, 1.5, 0.1),
                        new TrainingCurves.StepPoint(4, 1.25, 0.1),
                        new TrainingCurves.StepPoint(6, 2.0, 0.04)),
                points);
    }
}
