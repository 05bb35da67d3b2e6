package org.refconv.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the command-line parser ({@code --key value}, {@code --key=value}, {@code --flag}), then the same key table as
 * {@link ConfigFileFuzzTest} parses what it read. Only a {@link ConfigException} naming the argument (or, from the
 * table, the key and its origin) may escape. Default test run: replays {@code CommandLineFuzzTestInputs/}.
 */
class CommandLineFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void commandLine(FuzzedDataProvider data) {
        List<String> args = new ArrayList<>();
        while (data.remainingBytes() > 0 && args.size() < 16) {
            args.add(data.consumeString(64));
        }
        for (String a : args) {
            String body = a.startsWith("--") ? a.substring(2) : "";
            int eq = body.indexOf('=');
            if (Settings.camelCase(eq > 0 ? body.substring(0, eq) : body).equals("config")) {
                return; // --config reads a file by its path: the config-file target fuzzes the contents
            }
        }
        Settings settings;
        try {
            settings = Settings.fromArgs(args.toArray(String[]::new));
        } catch (ConfigException e) {
            assertTrue(e.getMessage() != null && e.getMessage().startsWith("argument "), e.getMessage());
            return;
        }
        for (Map.Entry<String, Settings.Setting> s : settings.asMap().entrySet()) {
            assertTrue(s.getValue().origin().startsWith("--"), s.getValue().origin());
        }
        ConfigFileFuzzTest.parse(settings.with(Map.of("input", "x"), "fuzz"));
    }
}
