package org.refconv.experiment;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.refconv.config.ConfigException;

/**
 * A column of the paper's Tables 4 and 5: how a model is trained from the basis, as train-job settings. All start
 * from the same pretrained basis and use the same recipe (finetune only changes the learning rate).
 */
public enum Method {
    REFCONV("refconv", Map.of("mode", "refocus")),
    RETRAIN("retrain", Map.of("mode", "retrain")),
    FINETUNE("finetune", Map.of("mode", "finetune")),
    REP_ADAPTER("rep-adapter", Map.of("mode", "rep-adapter")),
    /** Only the (new) classifier head trains, over the frozen basis: the few-shot reference. */
    LINEAR_PROBE("linear-probe", Map.of("mode", "linear-probe")),
    /** RefConv-ZI: Wr = 0, so training starts exactly at the basis. */
    REFCONV_ZERO_INIT("refconv-zi", Map.of("mode", "refocus", "wrInit", "zero")),
    REFCONV_NO_IDENTITY("refconv-noid", Map.of("mode", "refocus", "identity", "false")),
    REFCONV_TRAIN_BASIS("refconv-trainbasis", Map.of("mode", "refocus", "trainBasis", "true")),
    REFCONV_RANDOM_BASIS("refconv-randombasis", Map.of("mode", "refocus", "randomBasis", "true"));

    private final String label;
    private final Map<String, String> settings;

    Method(String label, Map<String, String> settings) {
        this.label = label;
        this.settings = settings;
    }

    public String label() {
        return label;
    }

    /** The train-job settings that make this method (mode and switches). */
    public Map<String, String> settings() {
        return settings;
    }

    public static Method parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        for (Method m : values()) {
            if (m.label.equals(v)) {
                return m;
            }
        }
        throw new ConfigException("unknown method '" + s + "' (known: "
                + Arrays.stream(values()).map(Method::label).collect(Collectors.joining(", ")) + ")");
    }
}
