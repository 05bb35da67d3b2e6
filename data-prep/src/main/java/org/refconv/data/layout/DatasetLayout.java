package org.refconv.data.layout;

import java.util.List;
import java.util.Locale;

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
}
