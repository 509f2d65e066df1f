//! OTLP metrics: Claude Code's code figures (`lines_of_code.count` by
//! type, `commit.count`, `pull_request.count`, delta sums) become code
//! changes, one per data point. Usage and cost metrics are not counted:
//! the log events carry them. Cumulative sums are ignored (a delta needs
//! the previous point, which a stateless receiver does not keep).

use agentmon_core::event::{CodeChangeInput, EventType};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, AggregationTemporality};

use crate::attrs::Attrs;
use crate::envelope::{identity, Envelope, Origin, Target};
use crate::Mapped;

pub fn map(request: &ExportMetricsServiceRequest, target: Target<'_>) -> Mapped {
    let mut out = Mapped::default();
    for rm in &request.resource_metrics {
        let resource = rm
            .resource
            .as_ref()
            .map(|r| Attrs::of(&r.attributes))
            .unwrap_or_default();
        let origin = Origin::of(resource);
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                let field = match m.name.as_str() {
                    "claude_code.lines_of_code.count" => Field::Lines,
                    "claude_code.commit.count" => Field::Commits,
                    "claude_code.pull_request.count" => Field::PullRequests,
                    _ => {
                        out.ignored += 1;
                        continue;
                    }
                };
                let Some(metric::Data::Sum(sum)) = &m.data else {
                    out.ignored += 1;
                    continue;
                };
                if sum.aggregation_temporality != AggregationTemporality::Delta as i32 {
                    out.ignored += 1;
                    continue;
                }
                for point in &sum.data_points {
                    let n = match point.value {
                        Some(number_data_point::Value::AsInt(i)) => i,
                        Some(number_data_point::Value::AsDouble(d)) => d.round() as i64,
                        None => 0,
                    };
                    let Some(n) = i32::try_from(n).ok().filter(|n| *n > 0) else {
                        out.ignored += 1;
                        continue;
                    };
                    let attrs = Attrs::of(&point.attributes);
                    let id = identity(
                        &[
                            &m.name,
                            &point.start_time_unix_nano.to_string(),
                            &point.time_unix_nano.to_string(),
                        ],
                        &attrs,
                    );
                    let env = match Envelope::read(
                        target,
                        &origin,
                        &attrs,
                        [point.time_unix_nano, 0],
                        id,
                    ) {
                        Ok(env) => env,
                        Err(why) => {
                            out.unplaced(why);
                            continue;
                        }
                    };
                    let mut code = CodeChangeInput::default();
                    match (field, attrs.str("type").as_deref()) {
                        (Field::Lines, Some("added")) => code.lines_added = Some(n),
                        (Field::Lines, Some("removed")) => code.lines_removed = Some(n),
                        (Field::Lines, _) => {
                            out.ignored += 1;
                            continue;
                        }
                        (Field::Commits, _) => code.commits = Some(n),
                        (Field::PullRequests, _) => code.pull_requests = Some(n),
                    }
                    let mut event = env.event(EventType::CodeChange, "code");
                    event.code = Some(code);
                    out.add([event]);
                }
            }
        }
    }
    out.tidy()
}

#[derive(Clone, Copy)]
enum Field {
    Lines,
    Commits,
    PullRequests,
}
