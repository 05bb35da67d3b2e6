package org.refconv.publish;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The sections of a model card that report what publish checked and decided: verification, metrics, promotion. */
final class CardSections {

    private CardSections() {}

    static Map<String, Object> verification(String reference, int tensors, ValidationPass.Result r, PublishConfig pc) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("reference", reference);
        keys.put("tensors", tensors);
        keys.put("result", "same keys and shapes");
        Map<String, Object> fold = new LinkedHashMap<>();
        if (Double.isNaN(r.maxRelativeDifference())) {
            fold.put("result", "nothing folded (pretrain run)");
        } else {
            fold.put("sampleImages", r.sampledImages());
            fold.put("maxRelativeDifference", r.maxRelativeDifference());
            fold.put("limit", pc.get(PublishConfig.MAX_RELATIVE_DIFFERENCE));
            fold.put("definition", "max |logits_refconv - logits_folded| / max |logits_refconv|");
            fold.put("result", "passed");
        }
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("keys", keys);
        v.put("fold", fold);
        return v;
    }

    static Map<String, Object> metrics(String data, ValidationPass.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("split", data + "/val");
        m.put("images", r.published().images());
        m.put("top1", finite(r.published().top1()));
        m.put("top5", finite(r.published().top5()));
        if (r.baseline() != null) {
            m.put("baselineTop1", finite(r.baseline().top1()));
            m.put("baselineTop5", finite(r.baseline().top5()));
            m.put("baseline", "the basis checkpoint, same images and preprocessing");
        }
        return m;
    }

    static Map<String, Object> promotion(PublishConfig pc, Optional<Gate.Current> current, Gate.Decision d) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("policy", pc.get(PublishConfig.PROMOTE));
        p.put("tolerance", pc.get(PublishConfig.GATE_TOLERANCE));
        current.ifPresent(c -> {
            Map<String, Object> prev = new LinkedHashMap<>();
            prev.put("version", c.version());
            prev.put("top1", finite(c.top1()));
            p.put("previous", prev);
        });
        p.put("promoted", d.promote());
        p.put("reason", d.reason());
        return p;
    }

    static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
