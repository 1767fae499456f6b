package org.fusekicdc.core.example;

import java.nio.file.Path;
import java.util.List;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.DeclaredSinkProvider;

// snippet:provider
/** {@code cdc:sink [ a cdc:ExampleFileSink ; cdc:directory "/var/lib/patches" ]} */
public final class FileSinkProvider extends DeclaredSinkProvider {
    public static final Option<String> DIRECTORY = Option.required("directory", "string (path)",
        "The directory the patches are written to, one file per version.");

    public FileSinkProvider() {
        super("ExampleFileSink", List.of(DIRECTORY),
              (dataset, options, workDir) -> new FileSink(options.name(), Path.of(options.required(DIRECTORY.name(), "\"/var/lib/patches\""))));
    }
}
// end-snippet
