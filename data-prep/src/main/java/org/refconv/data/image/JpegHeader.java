package org.refconv.data.image;

/**
 * The frame header (SOFn) of a JPEG: enough to decide whether a file can be passed through unchanged
 * (baseline, 3 components) and to know its size without decoding it.
 */
public record JpegHeader(int width, int height, int components, int sofMarker) {

    public boolean baseline() {
        return sofMarker == 0xC0 || sofMarker == 0xC1;
    }

    public boolean progressive() {
        return sofMarker == 0xC2;
    }

    /** Walks the marker segments up to the first SOFn; null if not a JPEG, if there is none or the bytes end first. */
    public static JpegHeader parse(byte[] b) {
        if (b.length < 2 || (b[0] & 0xFF) != 0xFF || (b[1] & 0xFF) != 0xD8) {
            return null;
        }
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) {
                return null;
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) { // fill byte
                i++;
                continue;
            }
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
                i += 2;
                continue;
            }
            int length = ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) {
                if (i + 10 > b.length) {
                    return null;
                }
                int height = ((b[i + 5] & 0xFF) << 8) | (b[i + 6] & 0xFF);
                int width = ((b[i + 7] & 0xFF) << 8) | (b[i + 8] & 0xFF);
                int components = b[i + 9] & 0xFF;
                return new JpegHeader(width, height, components, marker);
            }
            if (marker == 0xDA || marker == 0xD9) { // scan or end before any frame header
                return null;
            }
            i += 2 + length;
        }
        return null;
    }
}
