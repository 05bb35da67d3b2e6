package org.refconv.experiment;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mean ± sample std per method, checked against values worked out by hand. */
class ResultTableTest {

    @Test
    void summariesAreMeanAndSampleStandardDeviationPerModelAndMethod() {
        ResultTable t = new ResultTable();
        t.add(new ResultTable.Run("m", "basis", 0, 0.80, 0.99, 1));
        // 0.82, 0.84, 0.86: mean 0.84; squared deviations 4e-4 + 0 + 4e-4 over n - 1 = 2 -> std 0.02.
        for (double v : new double[] {0.82, 0.84, 0.86}) {
            t.add(new ResultTable.Run("m", "refconv", 0, v, 1, 1));
        }
        t.add(new ResultTable.Run("m", "retrain", 0, 0.79, 1, 1));
        ResultTable.Summary s = t.summaries().get("m").get("refconv");
        assertEquals(0.84, s.mean(), 1e-12);
        assertEquals(0.02, s.std(), 1e-12);
        assertEquals(3, s.n());
        assertEquals(0.0, t.summaries().get("m").get("retrain").std(), "one run: no spread");

        String md = t.markdown("basis");
        assertTrue(md.contains("| m | refconv | 3 | 84.00 ± 2.00 | +4.00 |"), md);
        assertTrue(md.contains("| m | retrain | 1 | 79.00 ± 0.00 | -1.00 |"), md);
        assertTrue(md.contains("| m | basis | 1 | 80.00 ± 0.00 |  |"), md);
        assertTrue(
                t.csv().startsWith("model,method,seed,top1,top5,seconds\nm,basis,0,0.800000,0.990000,1.0\n"), t.csv());
    }
}
