import { createContext, useContext } from "react";

export interface Viewer {
  username: string;
  mobileNumber: string | null;
  currency: string;
}

export const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (viewer === null) throw new Error("useViewer() outside a signed-in page");
  return viewer;
}
