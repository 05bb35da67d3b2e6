package org.refconv.data.layout;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Class labels as every ImageNet tool numbers them: the index of the wnid in sorted order. */
public final class ClassIndex implements Serializable {
    private final List<String> wnids;
    private final Map<String, Integer> labels = new HashMap<>();

    public ClassIndex(Collection<String> wnids) {
        this.wnids = List.copyOf(new TreeSet<>(wnids));
        for (int i = 0; i < this.wnids.size(); i++) {
            labels.put(this.wnids.get(i), i);
        }
    }

    /** The label of {@code wnid}, or -1 when it is not a class. */
    public int label(String wnid) {
        return labels.getOrDefault(wnid, -1);
    }

    public boolean contains(String wnid) {
        return labels.containsKey(wnid);
    }

    public List<String> wnids() {
        return Collections.unmodifiableList(new ArrayList<>(wnids));
    }

    public int size() {
        return wnids.size();
    }
}
