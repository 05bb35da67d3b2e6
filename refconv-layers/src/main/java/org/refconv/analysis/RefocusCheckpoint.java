package org.refconv.analysis;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.refconv.checkpoint.Checkpoints;
import org.refconv.checkpoint.StateDict;

/** The RefConv layers of a refocus checkpoint (a state dict before folding), found by their {@code .convmap.weight}. */
public final class RefocusCheckpoint {

    private static final String MAP_SUFFIX = ".convmap.weight";

    private final String source;
    private final List<RefocusLayer> layers;

    private RefocusCheckpoint(String source, List<RefocusLayer> layers) {
        this.source = source;
        this.layers = List.copyOf(layers);
    }

    /** Reads {@code uri} (safetensors or torch.save zip, any Hadoop filesystem). */
    public static RefocusCheckpoint read(String uri, Configuration conf) throws IOException {
        return of(Checkpoints.read(uri, conf), uri);
    }

    /**
     * The layers of {@code stateDict} in its order; {@code source} names it in errors.
     *
     * @throws IllegalArgumentException when no key ends in {@code .convmap.weight}, or a Wr has no basis next to it
     */
    public static RefocusCheckpoint of(StateDict stateDict, String source) {
        List<RefocusLayer> layers = new ArrayList<>();
        for (String key : stateDict.keys()) {
            if (!key.endsWith(MAP_SUFFIX)) {
                continue;
            }
            String name = key.substring(0, key.length() - MAP_SUFFIX.length());
            String basisKey = name + ".weight";
            if (!stateDict.contains(basisKey)) {
                throw new IllegalArgumentException(
                        source + ": '" + key + "' has no basis weight '" + basisKey + "' next to it");
            }
            layers.add(new RefocusLayer(name, stateDict.get(basisKey), stateDict.get(key)));
        }
        if (layers.isEmpty()) {
            throw new IllegalArgumentException(source + " is not a refocus checkpoint: none of its " + stateDict.size()
                    + " tensors is a refocusing weight '<layer>" + MAP_SUFFIX + "' (was the model folded already, or"
                    + " is it a plain model?). Analyse the checkpoint saved while refocusing, before the fold.");
        }
        return new RefocusCheckpoint(source, layers);
    }

    public List<RefocusLayer> layers() {
        return layers;
    }

    /**
     * The layers whose whole name matches {@code regex} ({@code null}: all of them).
     *
     * @throws IllegalArgumentException listing the available layers when none matches
     */
    public List<RefocusLayer> select(String regex) {
        if (regex == null) {
            return layers;
        }
        Pattern pattern = Pattern.compile(regex);
        List<RefocusLayer> selected =
                layers.stream().filter(l -> pattern.matcher(l.name()).matches()).toList();
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("--layers '" + regex + "' matches no RefConv layer of " + source
                    + "; available layers: "
                    + String.join(", ", layers.stream().map(RefocusLayer::name).toList()));
        }
        return selected;
    }
}
