//! The Jinja chat-template checker: a `tokenizer_config.json` whose `chat_template` is the input.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::chat_template(data));
});
