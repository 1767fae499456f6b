package org.fusekicdc.core.internal.follow;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import org.fusekicdc.core.wire.PatchRecord;

/** Downloads the leader's snapshot ({@code cdc:snapshotUrl}) for a follower to start from. */
final class SnapshotDownload {
    private SnapshotDownload() {}

    /**
     * Download the snapshot into {@code file}, whole or not at all (through a {@code .part} file).
     *
     * @throws IOException if the leader cannot be reached or does not answer 200 (the message holds its answer)
     */
    static void fetch(FollowerConfig config, Path file) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(config.snapshotUrl()).GET().header("Accept", PatchRecord.TEXT);
        if ( config.snapshotAuthorization() != null )
            request.header("Authorization", config.snapshotAuthorization());
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<Path> response = client.send(request.build(), HttpResponse.BodyHandlers.ofFile(tmp));
            if ( response.statusCode() != 200 ) {
                String body = Files.readString(tmp);
                throw new IOException("HTTP " + response.statusCode() + (body.isBlank() ? "" : ": " + body.strip()));
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
}
