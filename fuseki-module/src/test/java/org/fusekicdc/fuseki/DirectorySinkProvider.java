package org.fusekicdc.fuseki;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.SinkProvider;

/**
 * Test sink type {@code cdc:TestDirectorySink}: writes each patch to a file named by its
 * version in a directory, and can be told to fail ({@code cdc:failing true}) to exercise
 * retries and the write gate through a real server.
 */
public class DirectorySinkProvider implements SinkProvider {
    @Override
    public String type() {
        return "TestDirectorySink";
    }

    @Override
    public List<Option<?>> options() {
        return List.of(Option.required("directory", "string (path)", "Where patches are written."),
                       Option.bool("failing", false, "Fail every delivery while a file 'fail' exists in the directory."));
    }

    @Override
    public Sink create(String dataset, OptionValues options, Path workDir) {
        Path dir = Path.of(options.required("directory", "\"/tmp/patches\""));
        boolean canFail = options.bool("failing", false);
        return new Sink() {
            @Override
            public String name() {
                return options.name();
            }

            @Override
            public long open() {
                return UNKNOWN;
            }

            @Override
            public void deliver(PatchRecord patch) throws SinkException {
                if ( canFail && Files.exists(dir.resolve("fail")) )
                    throw SinkException.transientFailure("directory sink told to fail", null);
                try {
                    Files.createDirectories(dir);
                    try (OutputStream out = Files.newOutputStream(dir.resolve(patch.version() + ".rdfp"))) {
                        patch.writeTo(PatchRecord.TEXT, out);
                    }
                } catch (IOException ex) {
                    throw SinkException.transientFailure(ex.toString(), ex);
                }
            }

            @Override
            public void close() {}
        };
    }
}
