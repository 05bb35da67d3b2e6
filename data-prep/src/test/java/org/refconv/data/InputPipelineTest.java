package org.refconv.data;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.data.image.ResizeRule;
import org.refconv.data.input.Batch;
import org.refconv.data.input.BatchIterator;
import org.refconv.data.input.EpochPlan;
import org.refconv.data.input.ImageTransform;
import org.refconv.data.input.InputPipeline;
import org.refconv.data.input.Normalization;
import org.refconv.data.input.RowGroupRef;
import org.refconv.data.input.SampleDecoder;
import org.refconv.data.input.ShardFiles;
import org.refconv.data.layout.ImageEntry;
import org.refconv.data.prepare.DatasetOutput;
import org.refconv.data.prepare.ShardWriter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training reader on shards written by the prepare job's own ShardWriter (no Spark needed). */
class InputPipelineTest {
    private static final Path ROOT = Path.of("target/test-data/pipeline").toAbsolutePath();
    private static final int ROWS = 100;
    private static String train;
    private static final Set<String> ALL_KEYS = new HashSet<>();

    @BeforeAll
    static void writeShards() throws Exception {
        TestTrees.fresh(ROOT);
        List<ImageEntry> entries = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            Path file = ROOT.resolve("src/img" + i + ".jpg");
            TestImages.write(file, TestImages.synthetic(i, 40 + i % 7, 30 + i % 5));
            entries.add(new ImageEntry("img" + i, file.toUri().toString(), "n0" + (i % 4), i % 4, 1));
            ALL_KEYS.add("img" + i);
        }
        train = ROOT.resolve("ds/train").toUri().toString();
        ShardWriter writer = new ShardWriter(new Configuration(), train, "train", ResizeRule.NONE, 90, 8, 1 << 20, 4);
        // Three shards of 34, 33 and 33 rows: row groups of 8 rows plus a short one per shard.
        writer.write(0, entries.subList(0, 34).iterator());
        writer.write(1, entries.subList(34, 67).iterator());
        writer.write(2, entries.subList(67, 100).iterator());
        TestTrees.writeLines(ROOT.resolve("ds/" + DatasetOutput.MANIFEST), List.of("{}")); // marks it committed
    }

    private static InputPipeline pipeline(int rank, int world, int batch, ImageTransform transform) throws Exception {
        return InputPipeline.builder(train)
                .rank(rank)
                .worldSize(world)
                .seed(5)
                .batchSize(batch)
                .threads(2)
                .transform(transform)
                .build();
    }

    private static List<Batch> epoch(InputPipeline p, long epoch) {
        List<Batch> out = new ArrayList<>();
        try (BatchIterator it = p.epoch(epoch)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void ranksGetDisjointSharesWithEqualBatchCounts() throws Exception {
        int world = 3;
        int batch = 4;
        List<RowGroupRef> groups = ShardFiles.rowGroups(new Configuration(), train);
        assertEquals(15, groups.size());
        EpochPlan plan = EpochPlan.create(groups, world, 0, 5, batch);
        Set<RowGroupRef> dealt = new HashSet<>();
        for (int r = 0; r < world; r++) {
            for (RowGroupRef g : plan.rowGroupsOf(r)) {
                assertTrue(dealt.add(g), "row group dealt twice");
            }
        }
        assertEquals(new HashSet<>(groups), dealt, "row groups not covered");

        Set<String> seen = new HashSet<>();
        for (int r = 0; r < world; r++) {
            List<Batch> batches = epoch(pipeline(r, world, batch, ImageTransform.val(36, 32)), 0);
            assertEquals(plan.batchesPerRank(), batches.size(), "rank " + r);
            for (Batch b : batches) {
                assertEquals(batch, b.size());
                assertEquals(batch * 3 * 32 * 32, b.images().length);
                for (int i = 0; i < b.size(); i++) {
                    assertTrue(seen.add(b.keys()[i]), "row " + b.keys()[i] + " read by two ranks");
                    assertEquals(
                            Integer.parseInt(b.keys()[i].substring(3)) % 4, b.labels()[i], "label travels with image");
                }
            }
        }
        assertTrue(ALL_KEYS.containsAll(seen));
        // Drop-last loses less than one batch per rank plus the imbalance of the greedy deal (< one row group).
        assertTrue(seen.size() >= ROWS - world * (batch + 8), "too many rows dropped: " + (ROWS - seen.size()));
    }

    /** Evaluation reads every row once over the ranks, a smaller last batch included, images matching labels. */
    @Test
    void everyRowCoversTheSplitOnceWithAPartialLastBatch() throws Exception {
        int world = 3;
        int batch = 7;
        List<String> seen = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            List<RowGroupRef> share = EpochPlan.create(
                            ShardFiles.rowGroups(new Configuration(), train), world, 0, 5, batch)
                    .rowGroupsOf(r);
            long rows = share.stream().mapToLong(RowGroupRef::rows).sum();
            List<Batch> batches = new ArrayList<>();
            try (BatchIterator it =
                    pipeline(r, world, batch, ImageTransform.val(36, 32)).everyRow()) {
                assertEquals((rows + batch - 1) / batch, it.batches());
                it.forEachRemaining(batches::add);
            }
            assertEquals((rows + batch - 1) / batch, batches.size(), "rank " + r);
            for (int i = 0; i < batches.size(); i++) {
                Batch b = batches.get(i);
                int expected = i < batches.size() - 1 ? batch : (int) (rows - (long) batch * (batches.size() - 1));
                assertEquals(expected, b.size(), "rank " + r + " batch " + i);
                assertEquals(b.size() * 3 * 32 * 32, b.images().length);
                for (int k = 0; k < b.size(); k++) {
                    assertEquals(Integer.parseInt(b.keys()[k].substring(3)) % 4, b.labels()[k]);
                    seen.add(b.keys()[k]);
                }
            }
        }
        assertEquals(ROWS, seen.size(), "a row read twice or not at all");
        assertEquals(ALL_KEYS, new HashSet<>(seen));
    }

    @Test
    void sameEpochSameBatchesOtherEpochOtherOrder() throws Exception {
        InputPipeline p = pipeline(1, 2, 5, ImageTransform.train(24));
        List<Batch> a = epoch(p, 3);
        List<Batch> b = epoch(pipeline(1, 2, 5, ImageTransform.train(24)), 3);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).keys(), b.get(i).keys());
            assertArrayEquals(a.get(i).images(), b.get(i).images(), "augmentation must not depend on threads");
        }
        List<String> keysEpoch3 =
                a.stream().flatMap(x -> List.of(x.keys()).stream()).toList();
        List<String> keysEpoch4 =
                epoch(p, 4).stream().flatMap(x -> List.of(x.keys()).stream()).toList();
        assertNotEquals(keysEpoch3, keysEpoch4);
    }

    @Test
    void bothDecodersGiveTheSameBatches() throws Exception {
        for (ImageTransform t : List.of(ImageTransform.train(24), ImageTransform.val(36, 32))) {
            List<Batch> cv = epoch(pipelineWith(SampleDecoder.Kind.OPENCV, t), 1);
            List<Batch> io = epoch(pipelineWith(SampleDecoder.Kind.IMAGEIO_JDK, t), 1);
            assertEquals(io.size(), cv.size());
            double sum = 0;
            long n = 0;
            for (int i = 0; i < cv.size(); i++) {
                assertArrayEquals(io.get(i).keys(), cv.get(i).keys());
                assertArrayEquals(io.get(i).labels(), cv.get(i).labels());
                float[] a = cv.get(i).images();
                float[] b = io.get(i).images();
                for (int k = 0; k < a.length; k++) {
                    sum += Math.abs(a[k] - b[k]);
                    n++;
                }
            }
            // Flat colours and one square: only the square's edges differ (measured 0.25-0.36 levels; OpenCvDecodeTest
            // compares photos). 0.226: ImageNet's mean std, to turn normalised values back into 8-bit levels.
            double levels = sum / n * 255 * 0.226;
            assertTrue(levels < 1, t + ": decoders " + levels + " levels apart");
        }
    }

    @Test
    void eachWindowOfRowGroupsIsDeliveredWholeWhileTheNextIsReadAhead() throws Exception {
        int window = 2;
        int batch = 3;
        InputPipeline p = InputPipeline.builder(train)
                .seed(9)
                .batchSize(batch)
                .threads(2)
                .shuffleWindow(window)
                .transform(ImageTransform.val(36, 32))
                .build();
        List<String> delivered =
                epoch(p, 2).stream().flatMap(b -> List.of(b.keys()).stream()).toList();
        // The reference: the plan's row groups, read directly, cut into windows in plan order.
        List<RowGroupRef> groups = p.plan(2).rowGroupsOf(0);
        int from = 0;
        for (int g = 0; g < groups.size() && from < delivered.size(); g += window) {
            Set<String> expected = new HashSet<>();
            for (RowGroupRef ref : groups.subList(g, Math.min(groups.size(), g + window))) {
                ShardFiles.read(new Configuration(), ref).forEach(sample -> expected.add(sample.key()));
            }
            int to = Math.min(delivered.size(), from + expected.size());
            assertTrue(expected.containsAll(delivered.subList(from, to)), "window at row group " + g + " mixed");
            from = to;
        }
        assertEquals(delivered.size(), from);
    }

    @Test
    void aShardThatCannotBeReadIsNamedInTheError() throws Exception {
        Path copy = TestTrees.fresh(ROOT.resolve("ds-missing"));
        try (Stream<Path> files = Files.walk(ROOT.resolve("ds"))) {
            for (Path f : files.toList()) {
                Path to = copy.resolve(ROOT.resolve("ds").relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        InputPipeline p = InputPipeline.builder(copy.resolve("train").toUri().toString())
                .seed(5)
                .batchSize(4)
                .threads(2)
                .shuffleWindow(1)
                .transform(ImageTransform.val(36, 32))
                .build();
        List<RowGroupRef> groups = p.plan(0).rowGroupsOf(0);
        // The shard of the last row group dealt to the rank vanishes after planning: the reader thread's error must
        // reach
        // the training thread, naming the file (not a hang, not a short epoch).
        String lost = groups.get(groups.size() - 1).file();
        Files.delete(Path.of(new org.apache.hadoop.fs.Path(lost).toUri().getPath()));
        RuntimeException e = assertThrows(RuntimeException.class, () -> epoch(p, 0));
        String name = lost.substring(lost.lastIndexOf('/') + 1);
        assertTrue(String.valueOf(e.getMessage()).contains(name), "error does not name " + name + ": " + e);
    }

    private static InputPipeline pipelineWith(SampleDecoder.Kind decoder, ImageTransform transform) throws Exception {
        return InputPipeline.builder(train)
                .seed(5)
                .batchSize(8)
                .threads(2)
                .transform(transform)
                .decoder(decoder)
                .build();
    }

    @Test
    void valTransformNormalisesEveryPixelOfAFlatImage() {
        BufferedImage flat = TestImages.flat(64, 48, new Color(200, 100, 50));
        float[] out = new float[3 * 32 * 32];
        ImageTransform.val(36, 32).apply(flat, new SplittableRandom(1), Normalization.IMAGENET, out, 0);
        int[] rgb = {200, 100, 50};
        for (int c = 0; c < 3; c++) {
            float expected = (rgb[c] / 255f - Normalization.IMAGENET.mean()[c])
                    / Normalization.IMAGENET.std()[c];
            for (int i = 0; i < 32 * 32; i++) {
                assertEquals(expected, out[c * 1024 + i], 1e-4, "channel " + c);
            }
        }
    }

    @Test
    void flipMirrorsColumnsInEveryChannelPlane() {
        BufferedImage half = new BufferedImage(40, 40, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = half.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(20, 0, 20, 40); // left black, right white
        g.dispose();
        Normalization unit = new Normalization(new float[] {0, 0, 0}, new float[] {1, 1, 1});
        float[] out = new float[3 * 8 * 8];
        new ImageTransform.RandomResizedCropFlip(8, 1, 1, 1, 1, 1.0).apply(half, new SplittableRandom(2), unit, out, 0);
        for (int c = 0; c < 3; c++) {
            assertEquals(1f, out[c * 64], 1e-6, "flipped: left column is white");
            assertEquals(0f, out[c * 64 + 7], 1e-6, "flipped: right column is black");
        }
    }

    @Test
    void randomResizedCropFollowsTorchvisionRanges() {
        ImageTransform.RandomResizedCropFlip t = (ImageTransform.RandomResizedCropFlip) ImageTransform.train(224);
        SplittableRandom random = new SplittableRandom(3);
        Set<Integer> widths = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            int[] box = t.cropBox(500, 375, random);
            assertTrue(box[0] >= 0 && box[1] >= 0 && box[0] + box[2] <= 500 && box[1] + box[3] <= 375);
            double area = (double) box[2] * box[3] / (500 * 375);
            double ratio = (double) box[2] / box[3];
            assertTrue(area > 0.075 && area <= 1.0, "area " + area);
            assertTrue(ratio > 0.74 && ratio < 1.35, "ratio " + ratio);
            widths.add(box[2]);
        }
        assertTrue(widths.size() > 100, "crops are not random");
    }
}
