package org.refconv.data.prepare;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** quarantine.tsv: one line per input left out (split, key, reason), with a header line. */
public final class QuarantineReport {
    private QuarantineReport() {}

    public static void write(FileSystem fs, Path file, List<QuarantinedImage> images) throws IOException {
        try (Writer w = new OutputStreamWriter(fs.create(file, false), StandardCharsets.UTF_8)) {
            w.write("split\tkey\treason\n");
            for (QuarantinedImage q : images) {
                w.write(q.split() + "\t" + clean(q.key()) + "\t" + clean(q.reason()) + "\n");
            }
        }
    }

    private static String clean(String s) {
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }
}
