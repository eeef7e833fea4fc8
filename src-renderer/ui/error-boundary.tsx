import { Component, type ReactNode } from 'react';

interface Props {
  /** What failed, for the message ("the navigator"). */
  feature: string;
  children: ReactNode;
}

/** Keeps one feature's crash from blanking the whole window. */
export class ErrorBoundary extends Component<Props, { hasFailed: boolean }> {
  override state = { hasFailed: false };

  static getDerivedStateFromError(): { hasFailed: boolean } {
    return { hasFailed: true };
  }

  override render(): ReactNode {
    if (this.state.hasFailed) {
      return (
        <div role="alert" className="panel boundary">
          <p>Something went wrong in {this.props.feature}.</p>
          <button type="button" onClick={() => this.setState({ hasFailed: false })}>
            Try again
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}
