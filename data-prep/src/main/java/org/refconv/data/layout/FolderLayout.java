package org.refconv.data.layout;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * A generic image folder ({@code <split>/<class>/*}, torchvision's ImageFolder). The classes are the folder
 * names of the first split, sorted; the other splits may only use those.
 */
public final class FolderLayout implements DatasetLayout {

    @Override
    public String name() {
        return "folder";
    }

    @Override
    public LabelledDataset read(DatasetTree tree, List<String> splits) {
        Path first = tree.requireDirectory(splits.get(0), splits.get(0) + " split folder");
        ClassIndex classes = new ClassIndex(tree.classFolders(first).stream()
                .map(FileStatus::getPath)
                .map(Path::getName)
                .toList());
        Map<String, List<ImageEntry>> out = new LinkedHashMap<>();
        for (String split : splits) {
            Path dir = tree.requireDirectory(split, split + " split folder");
            out.put(split, ClassFolders.list(tree, dir, classes, first, split.equals(splits.get(0))));
        }
        return new LabelledDataset(name(), classes, out);
    }
}
