//! The detector of each beatit process: chosen per process, kept beside its slot.

use heartwire::text::Process;

use crate::detector::{Adaptive, DetectorChoice};
use crate::event::{Source, State};

use super::Monitor;
use super::slots::ADAPTIVE;

impl Monitor {
    /// Chooses the detector of the beatit process `name`, now if it is tracked, else when
    /// it is first seen.
    pub fn choose_detector(&mut self, name: &Process<'_>, choice: DetectorChoice) {
        let Some(id) = self.find(Source::Text, name.as_str()) else {
            self.chosen.insert(name.as_str().to_owned(), choice);
            return;
        };
        let before = self.armed_transition(id);
        self.set_adaptive(id, Adaptive::new(choice));
        if let Some(detector) = self.adaptive.get_mut(&id) {
            let slot = &self.slots[id as usize];
            if slot.base != State::Starting as u8 {
                detector.heartbeat(slot.last);
            }
        }
        self.rearm(id, before);
    }

    pub(super) fn set_adaptive(&mut self, id: u32, adaptive: Option<Adaptive>) {
        let slot = &mut self.slots[id as usize];
        match adaptive {
            Some(a) => {
                slot.kind |= ADAPTIVE;
                self.adaptive.insert(id, a);
            }
            None => {
                slot.kind &= !ADAPTIVE;
                self.adaptive.remove(&id);
            }
        }
    }
}
