//! The live source: a raw `AF_PACKET` socket with its `TPACKET_V3` ring.

use crate::session::{Handler, LoopEnd, Shared, Stats};
use crate::{CaptureConfig, Error};

/// A live capture socket and its ring.
pub(crate) struct Live {
    _private: (),
}

impl Live {
    pub(crate) fn open(config: &CaptureConfig, _shared: &Shared) -> Result<Live, Error> {
        Err(Error::InvalidConfig(format!(
            "live capture on {:?} is not built yet",
            config.interface
        )))
    }

    pub(crate) fn run<H: Handler + ?Sized>(
        &mut self,
        _handler: &mut H,
        _shared: &Shared,
    ) -> Result<LoopEnd, Error> {
        Ok(LoopEnd::Eof)
    }

    pub(crate) fn stats(&mut self) -> Result<Stats, Error> {
        Ok(Stats::default())
    }

    pub(crate) fn close(self) -> Result<(), Error> {
        Ok(())
    }
}
