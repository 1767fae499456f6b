package org.fusekicdc.core.internal.follow;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * Where a follower sets aside a message that is not a patch of its leader's dataset
 * ({@code cdc:onBadMessage "deadLetter"}): its value in a {@code .bin} file and its headers, the
 * reason and the source position in a {@code .properties} file beside it.
 */
final class DeadLetters {
    private DeadLetters() {}

    /**
     * Write the message read at {@code position} of the source {@code where} into {@code directory}.
     *
     * @return the file holding its value
     */
    static Path write(Path directory, String position, Map<String, String> headers, byte[] value, String reason, String where) throws IOException {
        Path dir = Files.createDirectories(directory);
        // Named by position: the same message read again after a restart overwrites its own file.
        String base = "message-" + position.replaceAll("[^A-Za-z0-9._-]", "_");
        Properties props = new Properties();
        headers.forEach(props::setProperty);
        props.setProperty("x-dead-letter-reason", reason);
        props.setProperty("x-dead-letter-source", where);
        try (OutputStream out = Files.newOutputStream(dir.resolve(base + ".properties"))) {
            props.store(out, "fuseki-cdc follower: a message that is not a patch of the leader's dataset");
        }
        Files.write(dir.resolve(base + ".bin"), value == null ? new byte[0] : value);
        return dir.resolve(base + ".bin");
    }
}
