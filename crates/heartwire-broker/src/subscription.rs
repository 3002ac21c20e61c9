//! What a subscriber of any adapter is: a stream of decoded deliveries and a health to
//! read; and [`Subscription`], one of them chosen at run time.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use heartwire::transport::{Delivery, Invalid};

use crate::LinkHealth;

/// A subscriber of one of the four adapters: every heartbeat its broker carries,
/// decoded as a [`Delivery`], or as an [`Invalid`] with the raw payload and the decode
/// error (never dropped); `None` once the subscription has ended for good.
///
/// A reader says what became of what it was handed: [`Subscriber::processed`] once it
/// has kept it (applied it, and journaled it where it keeps a journal), or
/// [`Subscriber::release`] when it could not. A broker that keeps a message until it is
/// acknowledged (SQS) deletes it on the first and delivers it again on the second; the
/// others forget what they delivered (NATS, Redis, MQTT with a clean session, and AMQP,
/// whose queue is the connection's own and dies with it), and ignore both.
pub trait Subscriber: Stream<Item = Result<Delivery, Invalid>> + Unpin + Send {
    /// Where it reports its connection and the messages it knows it lost.
    fn health(&self) -> &LinkHealth;

    /// Everything handed over so far is kept: a broker that holds messages until they
    /// are acknowledged may forget them now.
    fn processed(&mut self) {}

    /// Everything handed over so far and not yet settled was not kept: a broker that
    /// holds messages until they are acknowledged delivers them again.
    fn release(&mut self) {}
}

/// A subscriber of a broker chosen at run time (from a URL, say).
///
/// ```
/// use futures_util::stream;
/// use heartwire::transport::{Delivery, Invalid};
/// use heartwire_broker::{LinkHealth, Subscriber, Subscription};
///
/// struct Quiet(LinkHealth, stream::Empty<Result<Delivery, Invalid>>);
/// # impl futures_core::Stream for Quiet {
/// #     type Item = Result<Delivery, Invalid>;
/// #     fn poll_next(
/// #         mut self: std::pin::Pin<&mut Self>,
/// #         cx: &mut std::task::Context<'_>,
/// #     ) -> std::task::Poll<Option<Self::Item>> {
/// #         std::pin::Pin::new(&mut self.1).poll_next(cx)
/// #     }
/// # }
/// impl Subscriber for Quiet {
///     fn health(&self) -> &LinkHealth {
///         &self.0
///     }
/// }
///
/// # futures_util::FutureExt::now_or_never(async {
/// let mut subscription = Subscription::new(Quiet(LinkHealth::new(), stream::empty()));
/// assert!(subscription.next().await.is_none());
/// # });
/// ```
pub struct Subscription(Box<dyn Subscriber>);

impl Subscription {
    /// Boxes `subscriber`.
    pub fn new(subscriber: impl Subscriber + 'static) -> Subscription {
        Subscription(Box::new(subscriber))
    }

    /// The next message, decoded or not; `None` when the subscription has ended.
    pub async fn next(&mut self) -> Option<Result<Delivery, Invalid>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self.0).poll_next(cx)).await
    }

    /// Where it reports its connection and its losses.
    pub fn health(&self) -> &LinkHealth {
        self.0.health()
    }

    /// See [`Subscriber::processed`].
    pub fn processed(&mut self) {
        self.0.processed();
    }

    /// See [`Subscriber::release`].
    pub fn release(&mut self) {
        self.0.release();
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("health", &self.health().status())
            .finish_non_exhaustive()
    }
}

impl Stream for Subscription {
    type Item = Result<Delivery, Invalid>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut *self.0).poll_next(cx)
    }
}

impl Subscriber for Subscription {
    fn health(&self) -> &LinkHealth {
        self.0.health()
    }

    fn processed(&mut self) {
        self.0.processed();
    }

    fn release(&mut self) {
        self.0.release();
    }
}
