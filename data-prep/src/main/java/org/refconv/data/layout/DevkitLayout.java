package org.refconv.data.layout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Sources;
import us.hebi.matlab.mat.types.Struct;

/**
 * The official ILSVRC2012 release: {@code train/<wnid>/}, flat {@code val/ILSVRC2012_val_NNNNNNNN.JPEG}, and the
 * devkit, whose {@code ILSVRC2012_validation_ground_truth.txt} gives line n = the ILSVRC2012_ID of val image n.
 * Those IDs follow meta.mat's order, not sorted-wnid order, so they are mapped to wnids through the
 * {@code synsets} struct array of {@code meta.mat} and then to sorted-wnid labels.
 */
public final class DevkitLayout implements DatasetLayout {
    public static final String DEVKIT_DATA = "ILSVRC2012_devkit_t12/data";
    public static final String META_MAT = DEVKIT_DATA + "/meta.mat";
    public static final String VAL_GROUND_TRUTH = DEVKIT_DATA + "/ILSVRC2012_validation_ground_truth.txt";
    private static final Pattern VAL_NAME = Pattern.compile("ILSVRC2012_val_(\\d+)\\.[A-Za-z]+");

    @Override
    public String name() {
        return "devkit";
    }

    @Override
    public LabelledDataset read(DatasetTree tree, List<String> splits) {
        DatasetLayout.requireKnownSplits(name(), splits, List.of("train", "val"));
        Path meta = tree.requireFile(META_MAT, "devkit meta.mat");
        Map<Integer, String> wnidById = readSynsets(tree, meta);
        ClassIndex classes = new ClassIndex(wnidById.values());
        return DatasetLayout.ilsvrcSplits(
                name(), tree, splits, "", classes, meta, dir -> readVal(tree, dir, wnidById, classes));
    }

    /** ILSVRC2012_ID to WNID for the leaf synsets (num_children == 0), the 1000 classes of ILSVRC2012. */
    static Map<Integer, String> readSynsets(DatasetTree tree, Path meta) {
        Map<Integer, String> wnidById = new LinkedHashMap<>();
        try (MatFile mat = Mat5.newReader(Sources.wrap(tree.readBytes(meta))).readMat()) {
            Struct synsets;
            try {
                synsets = mat.getStruct("synsets");
            } catch (RuntimeException e) {
                throw LayoutException.at(meta, "no struct array 'synsets' (" + e.getMessage() + ")");
            }
            List<String> fields = synsets.getFieldNames();
            for (String f : List.of("ILSVRC2012_ID", "WNID")) {
                if (!fields.contains(f)) {
                    throw LayoutException.at(meta, "synsets has no field " + f + " (fields: " + fields + ")");
                }
            }
            boolean hasChildren = fields.contains("num_children");
            for (int i = 0; i < synsets.getNumElements(); i++) {
                if (hasChildren && synsets.getMatrix("num_children", i).getInt(0) != 0) {
                    continue;
                }
                int id = synsets.getMatrix("ILSVRC2012_ID", i).getInt(0);
                String wnid = synsets.getChar("WNID", i).getString().strip();
                if (wnidById.put(id, wnid) != null) {
                    throw LayoutException.at(meta, "synsets(" + (i + 1) + "): duplicate ILSVRC2012_ID " + id);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + meta, e);
        }
        if (wnidById.isEmpty()) {
            throw LayoutException.at(meta, "synsets has no leaf classes");
        }
        return wnidById;
    }

    private static List<ImageEntry> readVal(
            DatasetTree tree, Path dir, Map<Integer, String> wnidById, ClassIndex classes) {
        Path truth = tree.requireFile(VAL_GROUND_TRUTH, "validation ground truth");
        List<String> lines = tree.readLines(truth);
        Map<Integer, String> wnidByLine = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            int id;
            try {
                id = Integer.parseInt(line);
            } catch (NumberFormatException e) {
                throw LayoutException.at(truth, i + 1, "expected an ILSVRC2012_ID, got '" + line + "'");
            }
            String wnid = wnidById.get(id);
            if (wnid == null) {
                throw LayoutException.at(truth, i + 1, "ILSVRC2012_ID " + id + " is not a class in " + META_MAT);
            }
            wnidByLine.put(i + 1, wnid);
        }
        List<ImageEntry> entries = new ArrayList<>();
        for (FileStatus file : tree.imageFiles(dir)) {
            Matcher m = VAL_NAME.matcher(file.getPath().getName());
            if (!m.matches()) {
                throw LayoutException.at(file.getPath(), "val file name is not ILSVRC2012_val_<number>.<ext>");
            }
            int number = Integer.parseInt(m.group(1));
            String wnid = wnidByLine.get(number);
            if (wnid == null) {
                throw LayoutException.at(file.getPath(), "no line " + number + " in " + truth);
            }
            entries.add(tree.entry(file, wnid, classes.label(wnid)));
        }
        return entries;
    }
}
