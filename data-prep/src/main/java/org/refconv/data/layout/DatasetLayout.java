package org.refconv.data.layout;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import org.apache.hadoop.fs.Path;

/** A way ImageNet-style trees are organised on disk; it labels every image or fails naming the file. */
public interface DatasetLayout {

    String name();

    /** Lists and labels the requested splits (fails fast on a bad tree). */
    LabelledDataset read(DatasetTree tree, List<String> splits);

    /** The layout called {@code name}; "auto" looks for the Kaggle mapping, then the devkit, else folders. */
    static DatasetLayout named(String name, DatasetTree tree) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "kaggle" -> new KaggleLayout();
            case "devkit" -> new DevkitLayout();
            case "folder" -> new FolderLayout();
            case "auto" -> detect(tree);
            default -> throw new IllegalArgumentException("unknown layout " + name);
        };
    }

    static DatasetLayout detect(DatasetTree tree) {
        if (tree.isFile(tree.resolve(KaggleLayout.SYNSET_MAPPING))) {
            return new KaggleLayout();
        }
        if (tree.isFile(tree.resolve(DevkitLayout.META_MAT))) {
            return new DevkitLayout();
        }
        return new FolderLayout();
    }

    /** Rejects split names a fixed layout does not have. */
    static void requireKnownSplits(String layout, List<String> splits, List<String> known) {
        for (String s : splits) {
            if (!known.contains(s)) {
                throw new IllegalArgumentException("layout " + layout + " has splits " + known + ", not '" + s + "'");
            }
        }
    }

    /**
     * The splits of an ILSVRC2012 release: each from its folder under {@code splitsFolder}, {@code train} by its class
     * folders (the classes listed in {@code classList}), {@code val} by the release's own labels ({@code readVal}).
     */
    static LabelledDataset ilsvrcSplits(
            String layout,
            DatasetTree tree,
            List<String> splits,
            String splitsFolder,
            ClassIndex classes,
            Path classList,
            Function<Path, List<ImageEntry>> readVal) {
        Map<String, List<ImageEntry>> out = new LinkedHashMap<>();
        for (String split : splits) {
            Path dir = tree.requireDirectory(splitsFolder + split, split + " split folder");
            out.put(
                    split,
                    split.equals("train")
                            ? ClassFolders.list(tree, dir, classes, classList, true)
                            : readVal.apply(dir));
        }
        return new LabelledDataset(layout, classes, out);
    }
}
