package org.refconv.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.refconv.io.HadoopFiles;

/** Reads a state dict from either format, chosen by the file name's extension or else by the file's first bytes. */
public final class Checkpoints {
    /** The formats a checkpoint can be in. */
    enum Format {
        SAFETENSORS,
        TORCH
    }

    private Checkpoints() {}

    public static StateDict read(String uri, Configuration conf) throws IOException {
        return switch (formatOf(uri, conf)) {
            case SAFETENSORS -> SafeTensors.read(uri, conf);
            case TORCH -> TorchCheckpoint.read(uri, conf);
        };
    }

    static Format formatOf(String uri, Configuration conf) throws IOException {
        String name = new Path(uri).getName().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            return Format.SAFETENSORS;
        }
        if (name.endsWith(".pth") || name.endsWith(".pt") || name.endsWith(".bin") || name.endsWith(".ckpt")) {
            return Format.TORCH;
        }
        byte[] head;
        try (InputStream in = HadoopFiles.open(uri, conf)) {
            head = in.readNBytes(9);
        }
        // A zip (torch.save) starts with "PK"; a safetensors header length is followed by the JSON's '{'; a legacy
        // torch.save file starts with pickle's PROTO opcode 0x80 (TorchCheckpoint explains how to convert it).
        if (head.length >= 2 && head[0] == 'P' && head[1] == 'K') {
            return Format.TORCH;
        }
        if (head.length == 9 && head[8] == '{') {
            return Format.SAFETENSORS;
        }
        if (head.length > 0 && (head[0] & 0xff) == 0x80) {
            return Format.TORCH;
        }
        throw CheckpointFormatException.in(
                uri,
                "unrecognized checkpoint format: expected safetensors (.safetensors) "
                        + "or a torch.save zip (.pth, .pt)");
    }
}
