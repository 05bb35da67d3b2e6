package org.refconv.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Raw key/value settings with the place each value came from, so that validation errors can name it.
 * Sources, later ones winning: a config file ({@code key = value} lines with # comments, HOCON-like, or a flat
 * JSON object) and command-line {@code --key value} / {@code --key=value} / {@code --flag}. Keys are
 * camelCase; kebab-case ({@code --shard-size-mb}) is accepted too.
 */
public final class Settings {

    /** A value and where it was set, e.g. "conf/prepare.conf:12" or "--seed". */
    public record Setting(String value, String origin) {}

    private final Map<String, Setting> values = new LinkedHashMap<>();

    public Map<String, Setting> asMap() {
        return values;
    }

    public Setting get(String key) {
        return values.get(key);
    }

    public void put(String key, String value, String origin) {
        values.put(camelCase(key), new Setting(value, origin));
    }

    /** Reads {@code args}: {@code --config FILE} first (wherever it is), then every other option on top. */
    /** A new Settings: these, with {@code over}'s on top (a key in both takes over's value and origin). */
    public Settings overlay(Settings over) {
        Settings s = new Settings();
        asMap().forEach((k, v) -> s.put(k, v.value(), v.origin()));
        over.asMap().forEach((k, v) -> s.put(k, v.value(), v.origin()));
        return s;
    }

    /** A new Settings: these, with {@code fixed} on top, each value's origin "{@code who} (key)". */
    public Settings with(Map<String, String> fixed, String who) {
        Settings s = overlay(new Settings());
        fixed.forEach((k, v) -> s.put(k, v, who + " (" + k + ")"));
        return s;
    }

    public static Settings fromArgs(String[] args) {
        Settings settings = new Settings();
        List<String[]> options = parseArgs(args);
        for (String[] kv : options) {
            if (camelCase(kv[0]).equals("config")) {
                settings.readFile(Path.of(kv[1]));
            }
        }
        for (String[] kv : options) {
            if (!camelCase(kv[0]).equals("config")) {
                settings.put(kv[0], kv[1], "--" + kv[0]);
            }
        }
        return settings;
    }

    private static List<String[]> parseArgs(String[] args) {
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new ConfigException("argument " + (i + 1) + ": expected --key value, got '" + a + "'");
            }
            String body = a.substring(2);
            int eq = body.indexOf('=');
            if (eq > 0) {
                out.add(new String[] {body.substring(0, eq), body.substring(eq + 1)});
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                out.add(new String[] {body, args[++i]});
            } else {
                out.add(new String[] {body, "true"}); // a bare flag such as --overwrite
            }
        }
        return out;
    }

    /** Adds the settings of a key=value or JSON file. */
    public void readFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config file (" + e.getMessage() + ")");
        }
        if (text.stripLeading().startsWith("{")) {
            readJson(file, text);
        } else {
            readKeyValues(file, text);
        }
    }

    private void readKeyValues(Path file, String text) {
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("//")) {
                continue;
            }
            int sep = indexOfSeparator(line);
            if (sep <= 0) {
                throw new ConfigException(file + ":" + (i + 1) + ": expected 'key = value', got '" + line + "'");
            }
            String key = line.substring(0, sep).strip();
            String value = unquote(stripComment(line.substring(sep + 1)).strip());
            put(key, value, file + ":" + (i + 1));
        }
    }

    private static int indexOfSeparator(String line) {
        int eq = line.indexOf('=');
        int colon = line.indexOf(':');
        if (eq < 0) {
            return colon;
        }
        return colon < 0 ? eq : Math.min(eq, colon);
    }

    private static String stripComment(String value) {
        if (value.strip().startsWith("\"")) {
            return value;
        }
        int hash = value.indexOf(" #");
        return hash < 0 ? value : value.substring(0, hash);
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            return v.substring(1, v.length() - 1);
        }
        if (v.startsWith("[") && v.endsWith("]")) {
            return v.substring(1, v.length() - 1).replace("\"", "").strip();
        }
        return v;
    }

    private void readJson(Path file, String text) {
        try (JsonParser p = new JsonFactory().createParser(text)) {
            p.nextToken();
            JsonToken next;
            while ((next = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                String origin = file + ":" + p.currentLocation().getLineNr();
                JsonToken t = p.nextToken();
                if (t == JsonToken.START_ARRAY) {
                    List<String> items = new ArrayList<>();
                    JsonToken item;
                    while ((item = p.nextToken()) != JsonToken.END_ARRAY) {
                        if (item == null || !item.isScalarValue()) {
                            throw new ConfigException(origin + ": '" + key + "' must be a list of plain values");
                        }
                        items.add(p.getText());
                    }
                    put(key, String.join(",", items), origin);
                } else if (t.isScalarValue()) {
                    put(key, t == JsonToken.VALUE_NULL ? "" : p.getText(), origin);
                } else {
                    throw new ConfigException(
                            origin + ": '" + key + "' must be a scalar or a list (flat object expected)");
                }
            }
            // Whatever follows the object (a second object, stray bytes) would otherwise be dropped unread.
            if (next != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new ConfigException(file + ":" + p.currentLocation().getLineNr()
                        + ": expected one flat JSON object and nothing after it");
            }
        } catch (IOException e) {
            throw new ConfigException(file + ": invalid JSON (" + e.getMessage() + ")");
        }
    }

    /** The key as stored: kebab-case and snake_case become camelCase (resnet18_small.x -> resnet18Small.x). */
    public static String camelCase(String key) {
        StringBuilder b = new StringBuilder();
        boolean upper = false;
        for (char c : key.strip().toCharArray()) {
            if (c == '-' || c == '_') {
                upper = true;
            } else {
                b.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return b.toString();
    }
}
