package org.refconv.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HadoopFilesTest {
    @TempDir
    Path dir;

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private List<String> files() throws IOException {
        try (var list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesThroughAHiddenTemporaryFileInTheSameDirectory() throws IOException {
        Path target = dir.resolve("model.safetensors");
        HadoopFiles.writeAtomically(target.toString(), null, out -> {
            out.write(ascii("content"));
            List<String> during = files();
            assertEquals(1, during.size());
            assertTrue(during.get(0).startsWith(".model.safetensors.tmp-"), during.get(0));
        });
        assertEquals("content", Files.readString(target));
        assertEquals(List.of("model.safetensors"), files()); // no temporary file, no .crc
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path target = Files.write(dir.resolve("model.safetensors"), ascii("old"));
        HadoopFiles.writeAtomically(target.toUri().toString(), null, out -> out.write(ascii("new")));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("model.safetensors"), files());
    }

    @Test
    void aFailingWriterLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path target = Files.write(dir.resolve("model.safetensors"), ascii("old"));
        IOException failure = new IOException("disk full");
        IOException thrown = assertThrows(
                IOException.class,
                () -> HadoopFiles.writeAtomically(target.toString(), null, out -> {
                    out.write(ascii("partial"));
                    throw failure;
                }));
        assertSame(failure, thrown);
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("model.safetensors"), files());

        assertThrows(
                IllegalStateException.class,
                () -> HadoopFiles.writeAtomically(target.toString(), null, out -> {
                    throw new IllegalStateException("bug in the writer");
                }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("model.safetensors"), files());
    }

    @Test
    void aFailingWriterCreatesNothing() {
        Path target = dir.resolve("new.safetensors");
        assertThrows(
                IOException.class,
                () -> HadoopFiles.writeAtomically(target.toString(), null, out -> {
                    throw new IOException("fail");
                }));
        assertFalse(Files.exists(target));
    }

    @Test
    void refusesToReplaceADirectory() throws IOException {
        Path target = Files.createDirectory(dir.resolve("model.safetensors"));
        IOException e = assertThrows(
                IOException.class, () -> HadoopFiles.writeAtomically(target.toString(), null, out -> out.write(1)));
        assertEquals("cannot write " + target + ": it is a directory", e.getMessage());
    }

    @Test
    void opensPlainPathsAndFileUris() throws IOException {
        Path file = Files.write(dir.resolve("data.bin"), ascii("abc"));
        for (String uri : List.of(file.toString(), file.toUri().toString())) {
            try (InputStream in = HadoopFiles.open(uri, null)) {
                assertEquals("abc", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
            }
            assertEquals(3, HadoopFiles.length(uri, null));
        }
    }
}
