package org.refconv.train;

/** Top-1 and top-5 hits of a batch of logits, counted on the host (batches are small; no device op needed). */
public final class TopK {

    private TopK() {}

    /** Adds to {@code counts}: [0] top-1 hits, [1] top-5 hits (top-k with k = min(5, classes)), [2] images. */
    public static void count(float[] logits, int[] labels, int classes, long[] counts) {
        int k = Math.min(5, classes);
        for (int i = 0; i < labels.length; i++) {
            float target = logits[i * classes + labels[i]];
            int higher = 0;
            for (int c = 0; c < classes; c++) {
                float v = logits[i * classes + c];
                // Ties count against the label, so a constant output never scores.
                if (v > target || (v == target && c != labels[i])) {
                    higher++;
                }
            }
            if (higher == 0) {
                counts[0]++;
            }
            if (higher < k) {
                counts[1]++;
            }
            counts[2]++;
        }
    }
}
