package org.refconv.engine;

import java.util.Locale;

/** Where tensors live: the CPU or one CUDA device. Parsed from "cpu", "cuda", "cuda:N" or "gpu:N". */
public record Device(Kind kind, int index) {

    public enum Kind {
        CPU,
        CUDA
    }

    public static final Device CPU = new Device(Kind.CPU, -1);

    public Device {
        if (kind == Kind.CPU && index != -1) {
            throw new IllegalArgumentException("the CPU device has no index, got " + index);
        }
        if (kind == Kind.CUDA && index < 0) {
            throw new IllegalArgumentException("a CUDA device index must be >= 0, got " + index);
        }
    }

    public static Device cuda(int index) {
        return new Device(Kind.CUDA, index);
    }

    public static Device parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return CPU;
        }
        String[] parts = s.split(":", 2);
        if (!parts[0].equals("cuda") && !parts[0].equals("gpu")) {
            throw new IllegalArgumentException("unknown device '" + text + "': expected cpu, cuda or cuda:N");
        }
        if (parts.length == 1) {
            return cuda(0);
        }
        try {
            return cuda(Integer.parseInt(parts[1]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unknown device '" + text + "': the index after ':' must be a number");
        }
    }

    public boolean isCuda() {
        return kind == Kind.CUDA;
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + index;
    }
}
