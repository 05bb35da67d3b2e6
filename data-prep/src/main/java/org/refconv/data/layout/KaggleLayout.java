package org.refconv.data.layout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * Kaggle's ImageNet (imagenet-object-localization-challenge): {@code LOC_synset_mapping.txt} defines the
 * classes, {@code ILSVRC/Data/CLS-LOC/train/<wnid>/} holds training images, the flat
 * {@code ILSVRC/Data/CLS-LOC/val/} is labelled by {@code LOC_val_solution.csv} (first token of
 * PredictionString).
 */
public final class KaggleLayout implements DatasetLayout {
    public static final String SYNSET_MAPPING = "LOC_synset_mapping.txt";
    public static final String VAL_SOLUTION = "LOC_val_solution.csv";
    public static final String DATA_DIR = "ILSVRC/Data/CLS-LOC";

    @Override
    public String name() {
        return "kaggle";
    }

    @Override
    public LabelledDataset read(DatasetTree tree, List<String> splits) {
        DatasetLayout.requireKnownSplits(name(), splits, List.of("train", "val"));
        Path mapping = tree.requireFile(SYNSET_MAPPING, "synset mapping");
        ClassIndex classes = readSynsetMapping(tree, mapping);
        return DatasetLayout.ilsvrcSplits(
                name(), tree, splits, DATA_DIR + "/", classes, mapping, dir -> readVal(tree, dir, classes));
    }

    static ClassIndex readSynsetMapping(DatasetTree tree, Path mapping) {
        List<String> wnids = new ArrayList<>();
        List<String> lines = tree.readLines(mapping);
        Map<String, Integer> firstLine = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String wnid = line.split("\\s+", 2)[0];
            Integer previous = firstLine.putIfAbsent(wnid, i + 1);
            if (previous != null) {
                throw LayoutException.at(
                        mapping, i + 1, "duplicate wnid " + wnid + " (first on line " + previous + ")");
            }
            wnids.add(wnid);
        }
        if (wnids.isEmpty()) {
            throw LayoutException.at(mapping, "no synsets");
        }
        return new ClassIndex(wnids);
    }

    private static List<ImageEntry> readVal(DatasetTree tree, Path dir, ClassIndex classes) {
        Path csv = tree.requireFile(VAL_SOLUTION, "validation labels");
        Map<String, String> wnidOf = readValSolution(tree, csv, classes);
        List<ImageEntry> entries = new ArrayList<>();
        for (FileStatus file : tree.imageFiles(dir)) {
            String name = file.getPath().getName();
            String id = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
            String wnid = wnidOf.get(id);
            if (wnid == null) {
                throw LayoutException.at(file.getPath(), "no row for ImageId " + id + " in " + csv);
            }
            entries.add(tree.entry(file, wnid, classes.label(wnid)));
        }
        return entries;
    }

    private static Map<String, String> readValSolution(DatasetTree tree, Path csv, ClassIndex classes) {
        List<String> lines = tree.readLines(csv);
        if (lines.isEmpty() || !lines.get(0).startsWith("ImageId")) {
            throw LayoutException.at(csv, 1, "expected header 'ImageId,PredictionString'");
        }
        Map<String, String> wnidOf = new HashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            int comma = line.indexOf(',');
            String prediction = comma < 0 ? "" : line.substring(comma + 1).strip();
            if (comma <= 0 || prediction.isEmpty()) {
                throw LayoutException.at(csv, i + 1, "expected 'ImageId,PredictionString', got '" + line + "'");
            }
            String id = line.substring(0, comma);
            String wnid = prediction.split("\\s+", 2)[0];
            if (!classes.contains(wnid)) {
                throw LayoutException.at(csv, i + 1, "unknown wnid " + wnid + " (not in " + SYNSET_MAPPING + ")");
            }
            if (wnidOf.put(id, wnid) != null) {
                throw LayoutException.at(csv, i + 1, "duplicate ImageId " + id);
            }
        }
        return wnidOf;
    }
}
