package org.refconv.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.data.image.JpegHeader;
import org.refconv.data.image.SourceFormat;
import org.refconv.data.layout.DatasetLayout;
import org.refconv.data.layout.DatasetTree;
import org.refconv.data.layout.ImageEntry;
import org.refconv.data.layout.LabelledDataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FashionMnistDemoDatasetTest {
    private static final Path SOURCE = Path.of(FashionMnistDemoDataset.DEFAULT_SOURCE);

    @Test
    void writesAKaggleTreeThatTheLayoutReads() throws Exception {
        assumeTrue(
                Files.exists(SOURCE.resolve("t10k-labels-idx1-ubyte.gz")),
                "needs Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)");
        Path out = TestTrees.fresh(Path.of("target/test-data/fmnist"))
                .resolve("tree")
                .toAbsolutePath();
        FashionMnistDemoDataset.Result r =
                FashionMnistDemoDataset.write(new FashionMnistDemoDataset.Options(SOURCE, out, 32, 3, 95, false));
        assertEquals(30, r.train());
        assertEquals(30, r.val());

        DatasetTree tree = new DatasetTree(
                FileSystem.getLocal(new Configuration()), new org.apache.hadoop.fs.Path(out.toString()));
        LabelledDataset d = DatasetLayout.detect(tree).read(tree, List.of("train", "val"));
        assertEquals("kaggle", d.layout());
        assertEquals(10, d.classes().size());
        assertEquals("n90000009", d.classes().wnids().get(9)); // Ankle boot keeps Fashion-MNIST's label 9
        for (List<ImageEntry> split : d.splits().values()) {
            for (ImageEntry e : split) {
                byte[] jpeg = Files.readAllBytes(Path.of(java.net.URI.create(e.uri())));
                JpegHeader h = JpegHeader.parse(jpeg);
                assertEquals(SourceFormat.JPEG_BASELINE_RGB, SourceFormat.sniff(jpeg), e.key());
                assertEquals(32, h.width());
                assertEquals(32, h.height());
                assertEquals(e.label(), Integer.parseInt(e.wnid().substring(1)) - 90000000);
            }
        }
        // The first t10k image is an ankle boot (label 9), a well-known Fashion-MNIST fact.
        assertEquals(
                "FMNIST_val_00000001,n90000009 0 0 31 31",
                Files.readAllLines(out.resolve("LOC_val_solution.csv")).get(1));
        assertThrows(
                java.io.IOException.class,
                () -> FashionMnistDemoDataset.write(
                        new FashionMnistDemoDataset.Options(SOURCE, out, 32, 1, 95, false)));
    }

    /** A class subset: only those labels' images, numbered 0..n-1 by the layout in label order. */
    @Test
    void aClassSubsetWritesOnlyThoseLabels() throws Exception {
        assumeTrue(Files.exists(SOURCE.resolve("t10k-labels-idx1-ubyte.gz")), "needs dataset-fashion-mnist");
        Path out = TestTrees.fresh(Path.of("target/test-data/fmnist-subset"))
                .resolve("tree")
                .toAbsolutePath();
        FashionMnistDemoDataset.Result r = FashionMnistDemoDataset.write(
                new FashionMnistDemoDataset.Options(SOURCE, out, 16, 4, 2, 95, false, List.of(9, 5, 7)));
        assertEquals(12, r.train());
        assertEquals(6, r.val());
        DatasetTree tree = new DatasetTree(
                FileSystem.getLocal(new Configuration()), new org.apache.hadoop.fs.Path(out.toString()));
        LabelledDataset d = DatasetLayout.detect(tree).read(tree, List.of("train", "val"));
        assertEquals(List.of("n90000005", "n90000007", "n90000009"), d.classes().wnids());
        for (List<ImageEntry> split : d.splits().values()) {
            for (ImageEntry e : split) {
                int label = Integer.parseInt(e.wnid().substring(1)) - 90000000;
                assertEquals(List.of(5, 7, 9).indexOf(label), e.label(), e.key());
            }
        }
        assertEquals(
                List.of(5, 6),
                FashionMnistDemoDataset.parse(new String[] {"--output", "x", "--classes", "6,5"})
                        .classes());
    }
}
