//! The objects API Gateway puts in a mapping template's context: `$util`
//! so far (`$input`, `$context` and `$stageVariables` come with the
//! pipeline).

mod util;

pub use util::{Util, escape_javascript, escape_javascript_into, url_decode, url_encode};
