package org.refconv.retrain;

import java.io.IOException;
import java.nio.file.Files;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.data.prepare.DatasetOutput;
import org.refconv.data.prepare.PrepareConfig;
import org.refconv.data.prepare.Preparer;

/**
 * Makes sure a prepared dataset exists: writes the Fashion-MNIST demo tree first when asked to (and it is not there
 * yet), then runs {@code prepare} unless its output is complete. Shared by the pipeline and the experiment.
 */
public final class DatasetStage {

    private DatasetStage() {}

    /** Writes the Fashion-MNIST demo tree unless it is there already. */
    public static void writeDemoTree(FashionMnistDemoDataset.Options tree) throws IOException {
        if (Files.exists(tree.output())) {
            System.out.println("dataset: Fashion-MNIST tree already at " + tree.output());
            return;
        }
        FashionMnistDemoDataset.Result r = FashionMnistDemoDataset.write(tree);
        System.out.printf(
                "dataset: wrote the Fashion-MNIST tree (%,d train, %,d val images, %d px) to %s%n",
                r.train(), r.val(), tree.size(), tree.output());
    }

    /**
     * @param demoTree the demo tree to write to {@code prepare.get(PrepareConfig.INPUT)} (a local path), or null for a real tree
     * @return what was done, for the run summary
     */
    public static String ensure(
            SparkSession spark, Configuration conf, FashionMnistDemoDataset.Options demoTree, PrepareConfig prepare)
            throws IOException {
        if (demoTree != null) {
            writeDemoTree(demoTree);
        }
        Path out = new Path(prepare.get(PrepareConfig.OUTPUT));
        if (new DatasetOutput(out.getFileSystem(conf), out).state() == DatasetOutput.State.COMPLETE) {
            return "skipped: complete dataset at " + prepare.get(PrepareConfig.OUTPUT);
        }
        System.out.print(new Preparer(spark).run(prepare));
        return "done";
    }
}
