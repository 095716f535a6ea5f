//! HDF5 (Keras `.h5`): the model config is a JSON string attribute (`model_config`) stored
//! as plain bytes, so the stream is searched for it and the JSON is checked like a `.keras`
//! config (Lambda layers, objects from outside Keras).

use crate::report::Sink;

const NEEDLE: &[u8] = b"{\"class_name\"";
const CAPTURE: usize = 16 << 20;

pub(crate) struct Hdf5 {
    carry: Vec<u8>,
    pos: u64,
    capture: Option<(u64, Vec<u8>)>,
    found: Vec<(u64, Vec<u8>)>,
}

impl Hdf5 {
    pub(crate) fn new() -> Self {
        Self {
            carry: Vec::new(),
            pos: 0,
            capture: None,
            found: Vec::new(),
        }
    }

    pub(crate) fn feed(&mut self, data: &[u8]) {
        if let Some((at, buf)) = self.capture.as_mut() {
            let room = CAPTURE.saturating_sub(buf.len()).min(data.len());
            buf.extend_from_slice(&data[..room]);
            if buf.len() >= CAPTURE {
                let c = std::mem::take(buf);
                let at = *at;
                self.found.push((at, c));
                self.capture = None;
            }
        } else if self.found.len() < 4 {
            // Search carry + data for the needle.
            let mut window = std::mem::take(&mut self.carry);
            let base = self.pos - window.len() as u64;
            window.extend_from_slice(data);
            if let Some(i) = find(&window, NEEDLE) {
                self.capture = Some((base + i as u64, window[i..].to_vec()));
            } else {
                let keep = NEEDLE.len().min(window.len());
                self.carry = window[window.len() - keep..].to_vec();
            }
        }
        self.pos += data.len() as u64;
    }

    pub(crate) fn finish(mut self) -> Sink {
        if let Some(c) = self.capture.take() {
            self.found.push(c);
        }
        let mut sink = Sink::new();
        for (at, buf) in &self.found {
            // The attribute payload may be followed by NUL padding or unrelated bytes.
            let end = buf.iter().position(|c| *c == 0).unwrap_or(buf.len());
            crate::formats::keras::check_embedded(&buf[..end], "model_config", *at, &mut sink);
        }
        sink
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    let first = n[0];
    let mut i = 0;
    while i + n.len() <= h.len() {
        match h[i..h.len() - n.len() + 1].iter().position(|c| *c == first) {
            Some(p) => {
                i += p;
                if &h[i..i + n.len()] == n {
                    return Some(i);
                }
                i += 1;
            }
            None => return None,
        }
    }
    None
}
