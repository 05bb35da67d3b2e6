package org.refconv.data.layout;

import java.util.List;
import java.util.Map;

/**
 * What a layout found: the classes and, per split in the requested order, every image with its label.
 *
 * @param layout name of the layout that read the tree (kaggle, devkit, folder)
 */
public record LabelledDataset(String layout, ClassIndex classes, Map<String, List<ImageEntry>> splits) {}
