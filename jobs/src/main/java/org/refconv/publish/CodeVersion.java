package org.refconv.publish;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The code that published a model: the project version and the git commit it was built from, recorded by the
 * build in {@code refconv-build.properties} ({@code git describe --always --dirty}; "unknown" outside a checkout).
 */
public final class CodeVersion {

    private CodeVersion() {}

    public static String describe() {
        Properties p = new Properties();
        try (InputStream in = CodeVersion.class.getResourceAsStream("/refconv-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // reported as unknown below
        }
        String version = p.getProperty("version", "unknown");
        String git = p.getProperty("git", "unknown").strip();
        return version + " (git " + (git.isEmpty() ? "unknown" : git) + ")";
    }
}
