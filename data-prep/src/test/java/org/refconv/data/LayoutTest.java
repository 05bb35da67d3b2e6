package org.refconv.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.refconv.data.layout.DatasetLayout;
import org.refconv.data.layout.DatasetTree;
import org.refconv.data.layout.DevkitLayout;
import org.refconv.data.layout.ImageEntry;
import org.refconv.data.layout.KaggleLayout;
import org.refconv.data.layout.LabelledDataset;
import org.refconv.data.layout.LayoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayoutTest {
    private static final Path BASE = Path.of("target/test-data/layouts");
    private static final List<String> SPLITS = List.of("train", "val");

    private static LabelledDataset read(Path root) throws IOException {
        DatasetTree tree = new DatasetTree(
                FileSystem.getLocal(new Configuration()),
                new org.apache.hadoop.fs.Path(root.toAbsolutePath().toString()));
        return DatasetLayout.detect(tree).read(tree, SPLITS);
    }

    private static String failure(Path root) {
        return assertThrows(LayoutException.class, () -> read(root)).getMessage();
    }

    /** Every entry carries the sorted-wnid label of its class, whatever the source order. */
    private static void assertSortedWnidLabels(LabelledDataset d, int train, int val) {
        assertEquals(List.of("n01000001", "n01000002", "n01000003"), d.classes().wnids());
        assertEquals(train, d.splits().get("train").size());
        assertEquals(val, d.splits().get("val").size());
        for (List<ImageEntry> split : d.splits().values()) {
            for (ImageEntry e : split) {
                assertEquals(TestTrees.LABELS.get(TestTrees.WNIDS.indexOf(e.wnid())), e.label(), e.key());
            }
        }
    }

    @Test
    void kaggleLabelsTrainByFolderAndValByCsv() throws IOException {
        LabelledDataset d = read(TestTrees.kaggle(BASE.resolve("kaggle"), 2, 2, false));
        assertEquals("kaggle", d.layout());
        assertSortedWnidLabels(d, 6, 6);
        ImageEntry val = d.splits().get("val").get(0);
        assertEquals("ILSVRC/Data/CLS-LOC/val/ILSVRC2012_val_00000001.JPEG", val.key());
        assertEquals("n01000003", val.wnid()); // first CSV rows belong to the first class written
    }

    @Test
    void devkitMapsGroundTruthIdsThroughMetaMat() throws IOException {
        LabelledDataset d = read(TestTrees.devkit(BASE.resolve("devkit"), 2, 2));
        assertEquals("devkit", d.layout());
        assertSortedWnidLabels(d, 6, 6);
        // Ground-truth ID 1 is n01000003 in meta.mat, i.e. label 2, not label 0.
        ImageEntry first = d.splits().get("val").stream()
                .filter(e -> e.key().endsWith("ILSVRC2012_val_00000001.JPEG"))
                .findFirst()
                .orElseThrow();
        assertEquals(2, first.label());
    }

    @Test
    void folderLayoutUsesFolderNames() throws IOException {
        LabelledDataset d = read(TestTrees.folder(BASE.resolve("folder"), 2));
        assertEquals("folder", d.layout());
        assertSortedWnidLabels(d, 6, 6);
    }

    @Test
    void missingSynsetMappingNamesTheFile() throws IOException {
        Path root = TestTrees.kaggle(BASE.resolve("no-mapping"), 1, 1, false);
        Files.delete(root.resolve(KaggleLayout.SYNSET_MAPPING));
        Files.delete(root.resolve(KaggleLayout.VAL_SOLUTION));
        // Without its mapping the tree is no longer recognisable as Kaggle's; asking for it names the file.
        DatasetTree tree = new DatasetTree(
                FileSystem.getLocal(new Configuration()),
                new org.apache.hadoop.fs.Path(root.toAbsolutePath().toString()));
        String message = assertThrows(LayoutException.class, () -> new KaggleLayout().read(tree, SPLITS))
                .getMessage();
        assertTrue(message.contains("LOC_synset_mapping.txt: missing synset mapping"), message);
    }

    @Test
    void unknownWnidInValCsvNamesFileAndLine() throws IOException {
        Path root = TestTrees.kaggle(BASE.resolve("bad-csv"), 1, 2, false);
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(root.resolve(KaggleLayout.VAL_SOLUTION)));
        lines.set(2, lines.get(2).replaceFirst(",n0\\d+", ",n09999999"));
        TestTrees.writeLines(root.resolve(KaggleLayout.VAL_SOLUTION), lines);
        String message = failure(root);
        assertTrue(message.contains("LOC_val_solution.csv:3: unknown wnid n09999999"), message);
    }

    @Test
    void emptyClassFolderIsNamed() throws IOException {
        Path root = TestTrees.kaggle(BASE.resolve("empty-class"), 1, 1, false);
        Path dir = root.resolve(KaggleLayout.DATA_DIR + "/train/n01000002");
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        String message = failure(root);
        assertTrue(message.contains("train/n01000002: empty image folder"), message);
    }

    @Test
    void missingSplitIsNamed() throws IOException {
        Path root = TestTrees.folder(BASE.resolve("no-val"), 1);
        TestTrees.fresh(root.resolve("val"));
        Files.delete(root.resolve("val"));
        String message = failure(root);
        assertTrue(message.contains("/no-val/val: missing val split folder"), message);
    }

    @Test
    void groundTruthIdWithoutSynsetNamesFileAndLine() throws IOException {
        Path root = TestTrees.devkit(BASE.resolve("bad-truth"), 1, 1);
        TestTrees.writeLines(root.resolve(DevkitLayout.VAL_GROUND_TRUTH), List.of("1", "4", "3"));
        String message = failure(root);
        assertTrue(
                message.contains("ILSVRC2012_validation_ground_truth.txt:2: ILSVRC2012_ID 4 is not a class"), message);
    }

    @Test
    void classFolderOutsideTheMappingIsNamed() throws IOException {
        Path root = TestTrees.kaggle(BASE.resolve("extra-class"), 1, 1, false);
        TestImages.write(
                root.resolve(KaggleLayout.DATA_DIR + "/train/n07777777/x.JPEG"), TestImages.synthetic(1, 8, 8));
        String message = failure(root);
        assertTrue(message.contains("train/n07777777: class folder 'n07777777' is not a class of"), message);
    }
}
