package org.refconv.data.layout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/** A split stored as one folder per class ({@code <split>/<wnid>/*}), as ImageNet's train set is. */
final class ClassFolders {
    private ClassFolders() {}

    /**
     * Labels every file under {@code dir}. Folder names must be classes of {@code classes} (defined by
     * {@code definedBy}); with {@code requireAll} every class must have a folder.
     */
    static List<ImageEntry> list(DatasetTree tree, Path dir, ClassIndex classes, Path definedBy, boolean requireAll) {
        List<ImageEntry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (FileStatus folder : tree.classFolders(dir)) {
            String wnid = folder.getPath().getName();
            int label = classes.label(wnid);
            if (label < 0) {
                throw LayoutException.at(
                        folder.getPath(), "class folder '" + wnid + "' is not a class of " + definedBy);
            }
            seen.add(wnid);
            for (FileStatus file : tree.imageFiles(folder.getPath())) {
                entries.add(tree.entry(file, wnid, label));
            }
        }
        if (requireAll && seen.size() < classes.size()) {
            String missing = classes.wnids().stream()
                    .filter(w -> !seen.contains(w))
                    .findFirst()
                    .orElseThrow();
            throw LayoutException.at(
                    dir,
                    "no folder for class " + missing + " (a class of " + definedBy + "); "
                            + (classes.size() - seen.size()) + " classes missing");
        }
        return entries;
    }
}
