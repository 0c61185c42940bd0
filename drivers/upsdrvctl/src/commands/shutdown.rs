//! `shutdown`: run `<driver> -a <ups> -k` for each UPS (all of them in `sdorder` order), as
//! the last step of a system shutdown.

use tracing::{debug, trace};

use crate::plan;
use crate::run::{driver_path_or_first, Fatal, Run};

/// Shut down the UPS `idx` through a fresh driver instance.
pub fn shutdown(run: &mut Run, idx: usize) -> Result<(), Fatal> {
    let ups = run.upses[idx].clone();
    debug!("Shutdown UPS: {}", ups.name);
    // NUT runs the program without checking it exists: a missing one fails in exec.
    let path = driver_path_or_first(&run.dirs, &ups.driver);
    let argv = plan::shutdown_argv(&path, &ups.name, &run.opts);
    trace!("exec:  {}", argv.join(" "));
    if !run.opts.testing {
        run.forkexec(idx, &argv)?;
    }
    Ok(())
}
